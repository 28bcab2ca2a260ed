"""`agentmake -t` soak: the kill -9 soak's project (`soak_kill9`), built under stops until a build completes,
with `agentmake -t -v` run at random points between the builds: after a stop, after the build that completes,
sometimes after deleting `.agentmake/` first (a fresh checkout with the outputs in place), sometimes itself
stopped by the signal. Besides every rule of `soak_kill9` (each output whole and right after every stop, no
answer paid twice since `.agentmake/` was last deleted, a dry run never hides a paid call, the build after
the one that completes runs nothing), what must hold:
- `agentmake -t -n`, asked just before, says exactly what -t touches;
- -t writes no output: every file under `build/` and `SUMMARY.md` keeps its bytes and modification time
  (from after that -t -n: any agentmake command first undoes what a killed build's agent left in place),
  but the outputs of a commit a killed build cut short (its result recorded, and paid for, not yet renamed
  into place), which -t finishes first as a build does and -t -n says it would (`workflow.takeover`);
- -t exits 0 or 1 (130 when stopped), and `agentmake -q` right after it exits the same (0: every task is up
  to date now, 1: some are not);
- no build after it calls an agent for a task -t said it touched or found up to date (its outputs are
  vouched for: a build takes them, as -t recorded them).
Then the stale case: a few documents are edited and built (under stops, no -t), then put back as they were,
and -t runs at once and at random points of the builds that follow: an output in place is then agentmake's
result for the edited inputs, and the cache holds the result for these: -t must not touch those tasks, the
builds restore the results without calling any agent at all, and every output is right at the end (none
that a build would restore is kept stale by -t).

    python benchmarks/soak_touch.py [--seeds 1-10] [--docs 12] [--signal KILL|INT|TERM] [--work DIR]

Prints one line per seed and exits 1 if any seed broke a rule.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from soak_kill9 import (
    BIN,
    EDITED,
    NOTES,
    again,
    check,
    fake_claude,
    project,
    stop_until_done,
)


def snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    """Each output file's (mtime in ns, bytes); not a staged file a stopped build left (-t may clean it)."""
    files = [p for p in root.glob("build/*") if "agentmake-tmp" not in p.name] + [root / "SUMMARY.md"]
    return {str(p.relative_to(root)): (p.stat().st_mtime_ns, p.read_bytes()) for p in files if p.is_file()}


def outputs_of(task: str) -> set[str]:
    """The outputs of a task of the soak's project (`soak_kill9.AGENTFILE`), as `snapshot` names them."""
    agent, _, name = task.partition(":")
    suffixes = {"translate": (".md",), "count": (".count",), "pair": (".a", ".b"), "notes": (".x", ".y")}
    return {f"build/{name}{suffix}" for suffix in suffixes[agent]} if name else {"SUMMARY.md"}


def task_of(label: str) -> str:
    """The task a fake agent's log label belongs to."""
    return f"notes:{label[6:]}" if label.startswith("notes-") else f"translate:{label}"


class Toucher:
    """Runs -t between builds (`between`) and remembers what it vouched for."""

    def __init__(self, root: Path, log: Path, env: dict[str, str], rng: random.Random, signum: int) -> None:
        self.root, self.log, self.env, self.rng, self.signum = root, log, env, rng, signum
        self.vouched: set[str] = set()
        self.since = 0.0  # when `.agentmake/` was last deleted
        self.deleting = True
        self.touches = self.deletions = 0

    def calls_since(self, since: float) -> set[str]:
        if not self.log.exists():
            return set()
        events = (line.split() for line in self.log.read_text().splitlines())
        return {
            task_of(label) for event, at, _, _, label in events if event == "start" and float(at) >= since
        }

    def between(self, launched: float, done: bool) -> list[str]:
        """The build launched at `launched` called no agent for a task vouched for; then, after a stop
        (`done` False), at random, -t."""
        paid = sorted(self.calls_since(launched) & self.vouched)
        if paid:
            return [f"a build after -t called agents for {paid}, which -t vouched for"]
        if not done and self.rng.random() < 0.5:
            return self.touch()
        return []

    def touch(self, delete: bool | None = None, stoppable: bool = True) -> list[str]:
        """Run `agentmake -t -v` (after deleting `.agentmake/` at random; stopped at random if `stoppable`):
        the rules it broke. Not stoppable, it must exit 0 (every output is there)."""
        if delete is None:
            delete = self.deleting and self.rng.random() < 0.3
        if delete:
            # (a dry run first: it undoes what a killed build's two-output agent left in place, cut short by
            # its parent-death signal, `runners.backups.recover`; deleted with `.agentmake/`, that record is
            # lost and a half-written file is just a file, as in a checkout: seed 2008, KILL, d05.x empty)
            recover = [str(BIN / "agentmake"), "report", "-n"]
            subprocess.run(recover, cwd=self.root, env=self.env, capture_output=True, timeout=120)
            shutil.rmtree(self.root / ".agentmake", ignore_errors=True)
            self.since, self.vouched = time.time(), set()
            self.deletions += 1
        self.touches += 1
        # (-t -n first: like any agentmake command it undoes what a killed build's two-output agent left in
        # place, `runners.backups.recover`, so that -t is seen to write nothing; and it says what -t will do)
        ask = [str(BIN / "agentmake"), "-t", "-n"]
        dry = subprocess.run(ask, cwd=self.root, env=self.env, capture_output=True, text=True, timeout=120)
        would = {
            line.split()[2].rstrip(":") for line in dry.stdout.splitlines() if line.startswith("would touch ")
        }
        # (a commit a killed build cut short, which -t finishes before it decides anything: its outputs become
        # the result recorded and paid for, whose bytes the checks after the stop look at)
        finishing = {
            line.split()[2].removesuffix("'s")
            for line in dry.stdout.splitlines()
            if line.startswith("would finish ") and "'s commit" in line
        }
        placed = set().union(*map(outputs_of, finishing))
        before = snapshot(self.root)
        command = [str(BIN / "agentmake"), "-t", "-v"]
        run = subprocess.Popen(
            command, cwd=self.root, env=self.env, stderr=subprocess.PIPE, stdout=subprocess.PIPE
        )
        stopped = False
        try:
            out, err = run.communicate(
                timeout=self.rng.uniform(0.05, 0.6) if stoppable and self.rng.random() < 0.2 else 120
            )
        except subprocess.TimeoutExpired:
            os.kill(run.pid, self.signum)
            stopped = True
            out, err = run.communicate(timeout=30)
        said = err.decode(errors="replace") + out.decode(errors="replace")
        broken = []
        if run.returncode not in ((0, 1) if stoppable else (0,)) and not (
            stopped and run.returncode in (130, -self.signum)
        ):
            broken.append(f"-t exited {run.returncode}: {said[-600:]}")
        if run.returncode in (0, 1):  # (0: every task up to date now, as `agentmake -q` must then say)
            ask = [str(BIN / "agentmake"), "-q"]
            asked = subprocess.run(
                ask, cwd=self.root, env=self.env, capture_output=True, text=True, timeout=120
            )
            if asked.returncode != run.returncode:
                said_q = f"{asked.stdout.strip()} {asked.stderr.strip()}"[-600:]
                broken.append(f"-t exited {run.returncode} but -q then {asked.returncode}: {said_q}")
        after = snapshot(self.root)
        changed = sorted(
            p for p in before.keys() | after.keys() if before.get(p) != after.get(p) and p not in placed
        )
        if changed:
            broken.append(f"-t changed outputs: {changed} ({said[-600:]})")
        touched = set()
        for line in said.splitlines():
            words = line.split("]", 1)[-1].split()
            if words[:1] == ["touched"] or words[:3] == ["up", "to", "date"]:
                self.vouched.add(words[1] if words[0] == "touched" else words[3])
                touched |= {words[1]} if words[0] == "touched" else set()
        if not stopped and touched != would:
            broken.append(f"-t -n said it would touch {sorted(would)}, -t touched {sorted(touched)}")
        self.last = said
        return broken


def soak(seed: int, docs: int, work: Path, signum: int) -> tuple[list[str], str]:
    """(broken rules, what happened) for one seed."""
    rng = random.Random(seed)
    root, log = work / f"seed{seed}", work / f"agents{seed}.log"
    project(root, docs, rng)
    fake_claude(work / f"bin{seed}", log)
    env = {**os.environ, "PATH": f"{work / f'bin{seed}'}{os.pathsep}{BIN}{os.pathsep}{os.environ['PATH']}"}
    env["NO_COLOR"] = "1"
    env.setdefault("ANTHROPIC_API_KEY", "soak-fake-key")
    toucher = Toucher(root, log, env, rng, signum)
    broken, stops = stop_until_done(
        root, docs, work, seed, env, rng, signum, (NOTES,), between=toucher.between
    )
    broken = broken or check(root, docs, log, since=toucher.since)
    broken = broken or toucher.touch(delete=rng.random() < 0.5, stoppable=False) or again(root, env, log)
    said = lambda: f"{stops} stops, {toucher.touches} -t ({toucher.deletions} after deleting .agentmake/)"  # noqa: E731
    if broken:
        return broken, said()
    # the stale case: edit a few documents, build them, put them back, -t
    edited = frozenset(rng.sample(range(docs), rng.randint(1, min(3, docs))))
    originals = {i: (root / "docs" / f"d{i:02d}.md").read_text() for i in edited}
    for i, text in originals.items():
        (root / "docs" / f"d{i:02d}.md").write_text(
            text.replace(f"line one of d{i}\n", f"line one of d{i}{EDITED}\n")
        )
    editing = time.time()
    broken, more = stop_until_done(root, docs, work, seed, env, rng, signum, (NOTES,), changing=edited)
    stops += more
    broken = broken or check(root, docs, log, edited=edited, since=editing) or again(root, env, log)
    if broken:
        return [f"edited {sorted(edited)}: {b}" for b in broken], said()
    for i, text in originals.items():
        (root / "docs" / f"d{i:02d}.md").write_text(text)
    reverting = time.time()
    toucher.deleting, toucher.vouched = False, set()
    broken = toucher.touch(delete=False)
    stale = sorted({f"{name}:d{i:02d}" for i in edited for name in ("translate", "notes")} & toucher.vouched)
    if stale:
        broken.append(f"-t vouched for {stale}, whose outputs are for the edited documents: {toucher.last}")
    if not broken:
        broken, more = stop_until_done(
            root, docs, work, seed, env, rng, signum, (NOTES,), changing=edited, between=toucher.between
        )
        stops += more
    broken = broken or check(root, docs, log, since=reverting) or again(root, env, log)
    called = [line for line in log.read_text().splitlines() if float(line.split()[1]) >= reverting]
    if called and not broken:
        broken.append(f"agents called for documents put back as they were: {called}")
    return [f"put back {sorted(edited)}: {b}" for b in broken], said()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="1-10", help="a range FIRST-LAST (default 1-10)")
    ap.add_argument("--docs", type=int, default=12)
    ap.add_argument("--signal", default="KILL", choices=("KILL", "INT", "TERM"), help="what stops a build")
    ap.add_argument("--work", type=Path, help="where the projects go (default: a new temporary directory)")
    args = ap.parse_args()
    signal.signal(signal.SIGINT, signal.default_int_handler)  # (as soak_kill9: what the builds inherit)
    for name in ("SIGTERM", "SIGHUP"):
        signal.signal(getattr(signal, name), signal.SIG_DFL)
    first, _, last = args.seeds.partition("-")
    work = args.work or Path(tempfile.mkdtemp(prefix="agentmake-soak-touch-"))
    failed = 0
    for seed in range(int(first), int(last or first) + 1):
        broken, said = soak(seed, args.docs, work, getattr(signal, "SIG" + args.signal))
        failed += bool(broken)
        print(f"seed {seed}: {said}, {'; '.join(broken) if broken else 'every rule held'}", flush=True)
    print(f"soak_touch: {failed} seed(s) broke a rule ({work})")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
