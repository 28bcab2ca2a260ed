"""Edit soak: inputs edited while builds run and right after them; once the edits stop, one build must make
every output match its inputs, and the next must run nothing.

The project: `--files` sources, each upper-cased by one shell agent (after a short random sleep), reversed by
a second, and all joined by a third. Each round starts a build and, while it runs, makes 0-3 edits at random
moments: a new content of the same size (the hard case for a stat-based check), a touch (same content, new
mtime), or a longer content; after some rounds it edits a file the moment the build has ended. Then:
- the final build exits 0 and every output is exactly what the current sources make;
- a build after it runs nothing (`0 ran`);
- the final build runs no task that `agentmake -n`, asked just before it, did not say would (or may) run.

`--outputs` also edits outputs by hand while builds run (a line no task makes, different each time). Then
no such edit may be lost: each is still in its output or was saved under `.agentmake/edited/` (when its task
was decided, or before its new result replaced it). Before the final build, outputs still holding a hand edit
are removed (agentmake keeps a hand edit whose task has nothing new to make), so the rules above hold too.

    python benchmarks/soak_edits.py [--seeds 1-10] [--files 12] [--rounds 25] [--outputs] [--work DIR]

Prints one line per seed and exits 1 if any seed broke a rule. (It found the cache entry a mid-run edit
used to leave under the old content's key: see `Starting._moved`.)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
WORDS = ("alpha", "bravo", "charl", "delta", "echoo")  # one length: an edit keeps the size
AGENTFILE = """\
jobs = 4

agent up:
    inputs = src/{n}.txt
    outputs = mid/{n}.txt
    run = "sleep 0.0$(( $$ % 5 )) && tr a-z A-Z < {input} > {output}"

agent rev:
    inputs = mid/{n}.txt
    outputs = out/{n}.txt
    run = "rev < {input} > {output}"

agent all:
    inputs = out/*.txt
    outputs = all.txt
    run = "cat {inputs} > {output}"
"""


def wrong(root: Path, files: int) -> list[str]:
    """Outputs that are not what the current sources make."""
    found, joined = [], []
    for i in range(files):
        up = (root / f"src/{i:02d}.txt").read_text().upper()
        rev = "".join(line[::-1] + "\n" for line in up.splitlines())
        joined.append(rev)
        for rel, text in ((f"mid/{i:02d}.txt", up), (f"out/{i:02d}.txt", rev)):
            if (root / rel).read_text() != text:
                found.append(f"{rel} is {(root / rel).read_text()!r}, not {text!r}")
    if (root / "all.txt").read_text() != "".join(joined):
        found.append("all.txt is not the join of out/")
    return found


def edit(path: Path, rng: random.Random) -> None:
    kind = rng.random()
    if kind < 0.6:
        path.write_text(rng.choice(WORDS) + "\n")
    elif kind < 0.8:
        os.utime(path)
    else:
        path.write_text(rng.choice(WORDS) + "\nmore\n")


def lost_edits(root: Path, edits: list[tuple[str, str]]) -> list[str]:
    """The hand edits (output, text) that are neither in their output nor in a saved copy."""
    saved = [p.read_text() for p in (root / ".agentmake" / "edited").rglob("*") if p.is_file()]
    lost = []
    for rel, text in edits:
        here = (root / rel).read_text() if (root / rel).exists() else ""
        if text != here and text not in saved:
            lost.append(f"hand edit {text.strip()!r} of {rel} was lost")
    return lost


def drop_hand_edits(root: Path, edits: list[tuple[str, str]]) -> None:
    for rel, text in edits:
        if (root / rel).exists() and (root / rel).read_text() == text:
            (root / rel).unlink()


def dry_run(root: Path) -> set[str]:
    """The tasks `agentmake -n` says the next build would (or may) run."""
    said = subprocess.run(
        [str(BIN / "agentmake"), "-n"], cwd=root, capture_output=True, text=True, timeout=120
    ).stdout
    return {
        line.split()[2].rstrip(":")
        for line in said.splitlines()
        if line.startswith(("would run ", "may run "))
    }


def last_run(root: Path) -> int:
    with contextlib.closing(sqlite3.connect(root / ".agentmake" / "state.db")) as db:
        return db.execute("SELECT coalesce(max(run_id), 0) FROM runs").fetchone()[0]


def ran_since(root: Path, run: int) -> set[str]:
    """The tasks whose agent ran (state `done`) in the builds after `run`."""
    with contextlib.closing(sqlite3.connect(root / ".agentmake" / "state.db")) as db:
        rows = db.execute("SELECT task_id FROM attempts WHERE run_id > ? AND state = 'done'", (run,))
        return {task for (task,) in rows}


def soak(seed: int, files: int, rounds: int, work: Path, outputs: bool = False) -> list[str]:
    rng = random.Random(seed)
    root = work / f"seed{seed}"
    (root / "src").mkdir(parents=True)
    for i in range(files):
        (root / f"src/{i:02d}.txt").write_text(rng.choice(WORDS) + "\n")
    (root / "Agentfile").write_text(AGENTFILE)
    agentmake = [str(BIN / "agentmake"), "-s"]
    hand: list[tuple[str, str]] = []  # (output, the text written into it by hand)
    for r in range(rounds):
        build = subprocess.Popen(agentmake, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for k in range(rng.randint(0, 3)):
            time.sleep(rng.uniform(0, 0.15))
            edit(root / f"src/{rng.randrange(files):02d}.txt", rng)
            if outputs and rng.random() < 0.5:
                rel = f"{rng.choice(('mid', 'out'))}/{rng.randrange(files):02d}.txt"
                if (root / rel).parent.is_dir():
                    before = (root / rel).read_text() if (root / rel).exists() else None
                    hand[:] = [(p, t) for p, t in hand if (p, t) != (rel, before)]  # overwritten by hand
                    hand.append((rel, f"hand edit {seed}-{r}-{k}\n"))
                    (root / rel).write_text(hand[-1][1])
        out, _ = build.communicate(timeout=120)
        if build.returncode not in (0, 1):  # (1: an input kept changing as its task ran; it runs next time)
            return [f"a build exited {build.returncode}: {out[-500:].decode(errors='replace')}"]
        if rng.random() < 0.3:  # the moment it has ended
            (root / f"src/{rng.randrange(files):02d}.txt").write_text(rng.choice(WORDS) + "\n")
    lost = lost_edits(root, hand)
    drop_hand_edits(root, hand)
    foreseen, before = dry_run(root), last_run(root)
    final = subprocess.run(agentmake, cwd=root, capture_output=True, text=True, timeout=120)
    broken = lost
    hidden = sorted(ran_since(root, before) - foreseen)
    if hidden:
        broken.append(f"the final build ran {hidden}, which the dry run before it did not say would run")
    if final.returncode != 0:
        broken.append(f"the final build exited {final.returncode}: {final.stdout}")
    broken += wrong(root, files)
    again = subprocess.run(agentmake, cwd=root, capture_output=True, text=True, timeout=120)
    if " 0 ran," not in again.stdout:
        broken.append(f"the build after the final one ran something: {again.stdout.strip()}")
    return broken


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="1-10", help="a range FIRST-LAST (default 1-10)")
    ap.add_argument("--files", type=int, default=12)
    ap.add_argument("--rounds", type=int, default=25)
    ap.add_argument("--outputs", action="store_true", help="also edit outputs by hand while builds run")
    ap.add_argument("--work", type=Path, help="where the projects go (default: a new temporary directory)")
    args = ap.parse_args()
    first, _, last = args.seeds.partition("-")
    work = args.work or Path(tempfile.mkdtemp(prefix="agentmake-edits-"))
    failed = 0
    for seed in range(int(first), int(last or first) + 1):
        broken = soak(seed, args.files, args.rounds, work, args.outputs)
        failed += bool(broken)
        print(f"seed {seed}: " + ("; ".join(broken) if broken else "every rule held"), flush=True)
    print(f"soak_edits: {failed} seed(s) broke a rule ({work})")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
