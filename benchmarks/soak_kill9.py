"""Kill -9 soak (issue #4's resume guarantees under fire): build a project again and again, `kill -9`ing
agentmake at a random moment each time, until one build completes; then check what must hold. `--signal INT`
sends Ctrl-C's signal instead (`TERM`: a service manager's), and then each stopped build must also have
ended within 10 s, with 130 once its build loop had begun (but for a Ctrl-C that Python lost before any of
agentmake ran, `lost_early`: that build runs to its end, and is the one that completes).

The project: `--docs` documents, each translated by the fake `claude` (tests/fake_agents, its own sleep per
document), each translation counted by a shell agent, copied twice by a two-output shell agent and annotated
by a two-output `claude` agent that writes its files itself, and one report over all of it. After every
stopped build, each output there is whole and right (none is ever partly written); after a kill -9, once
the next agentmake command (the dry run below) has undone what the two-output agent left in place, half
written or not recorded (`agentmake.runners.backups.recover`: no signal handler of agentmake's ran). After
the build that completes:
- every output is whole and right, and no staged temp file is left anywhere;
- no answer was paid twice: no document's translation or annotation was printed in full by two agent
  processes (an answer printed before agentmake died is used by the next build, see
  `agentmake.runners.salvage`; the files an annotating agent wrote are kept by recovery, see
  `agentmake.runners.backups`);
- no agent process is left alive;
- the build after it runs nothing and calls no agent (nor after the re-checks below): what the stopped
  builds paid for, and those after them recorded, is never paid for again;
- what was paid is what agentmake says (`soak_ledger`, in tokens: the fake bills each word): each agent
  task's record keeps the tokens of the answer paid for (after the re-checks below too), and the builds'
  summary lines, added up, count every answer paid for exactly once, after a kill -9 too (a killed build
  prints no summary line: the build after it reports what it spent, results renamed into place or not and
  answers it paid for and never recorded, and no build after that reports it again; the build after the
  one that completes reports no spend at all).
After every stop `agentmake -n` is asked what the next build would run: that build may call an agent only
for a task it said would (or may) run (a dry run never hides a paid call, however the last build ended).
Then `agentmake -q` (exit 0 or 1): the build that completes ran and restored nothing if and only if the -q
asked just before it exited 0 (a CI gate that says "up to date" is not followed by a build that works).

`--recheck` then gives the annotating agent a `check` that rewrites what it checks (`sed -i`), and stops the
builds again until one completes: a changed check alone is run on copies of the outputs and what it rewrote
becomes the outputs, with no call (`Executor._recheck`). After every stopped build each annotation is whole,
as it was or as the check rewrites it; after the build that completes, every annotation is rewritten, the
rules above hold, and no agent was called at all (a stop during a re-check, or between its record and its
renames, must not cost a call, nor leave a staged copy).

    python benchmarks/soak_kill9.py [--seeds 1-10] [--docs 24] [--signal KILL|INT] [--recheck] [--work DIR]

Prints one line per seed and exits 1 if any seed broke a rule.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from agentmake.scheduler.processes import alive

sys.path.insert(0, str(Path(__file__).resolve().parent))

from soak_ledger import TOKENS, Ledger, recorded, spent

FAKE_AGENT = Path(__file__).resolve().parent.parent / "tests" / "fake_agents" / "fake_agent.py"
BIN = Path(sys.executable).parent

AGENTFILE = '''\
jobs = 4
retries = 1

agent translate:
    inputs = docs/{name}.md
    outputs = build/{name}.md
    prompt = """
        Translate:
        {{ read(input) }}
        """

agent count:
    inputs = build/{name}.md
    outputs = build/{name}.count
    run = "wc -l < {input} > {output}"

agent pair:
    inputs = build/{name}.md
    outputs = build/{name}.a build/{name}.b
    run = "cp {input} {outputs[0]} && sleep 0.05 && cp {input} {outputs[1]}"

agent notes:
    inputs = build/{name}.md
    outputs = build/{name}.x build/{name}.y
    prompt = """
        FAKE: label=notes-{{ name }} sleep=0.1 write=build/{{ name }}.x,build/{{ name }}.y
        Notes on {{ read(input) }}
        """

report summary:
    inputs = build/*.count build/*.a build/*.b build/*.x
    output = SUMMARY.md
'''


# what `--recheck` adds to `notes` (a changed check alone: re-checked on copies, rewritten with no call)
RECHECK = """    check = "sed -i 's/^Notes on /NOTES ON /' {outputs}"\n"""
NOTES, REWRITTEN = "Notes on ", "NOTES ON "  # how an annotation begins: as written, as `RECHECK` rewrites it
EDITED = " (edited)"  # what an edit appends to a document's line (`soak_touch`)
# `--faults`: the first translation of the document stops at claude's turn limit, paid for (the fake bills the
# prompt's tokens in), which agentmake takes as fatal: the build fails (exit 1), the next one asks again.
# A paid failure a killed build never recorded is recorded by the next build as soon as it finds it, before
# its attempt at the same log stem removes the old log (`scheduler.earlier.record_found`); before, only
# that build's outcome held it, and a kill -9 of that build too lost it (half the seeds 2250-2259).
FAULT = "stopped=error_max_turns times=1"
FAILED = "turn limit"  # what a build that failed so says


def with_recheck(agentfile: str) -> str:
    """`agentfile` with `RECHECK` in the `notes` agent."""
    at = agentfile.index("    outputs = build/{name}.x build/{name}.y\n")
    at = agentfile.index("\n", at) + 1
    return agentfile[:at] + RECHECK + agentfile[at:]


def project(root: Path, docs: int, rng: random.Random, faults: bool = False) -> None:
    """The documents and the Agentfile; with `faults`, a quarter of the documents at random (drawn after the
    sleeps: a seed's documents are the same either way) have their first translation stop at claude's turn
    limit (`FAULT`)."""
    (root / "docs").mkdir(parents=True)
    sleeps = [rng.choice([0.05, 0.1, 0.2, 0.4, 0.7]) for _ in range(docs)]
    faulty = {i for i in range(docs) if faults and rng.random() < 0.25}
    for i, sleep in enumerate(sleeps):
        fault = f" {FAULT}" if i in faulty else ""
        text = f"FAKE: label=d{i:02d} sleep={sleep}{fault}\nline one of d{i}\n"
        (root / "docs" / f"d{i:02d}.md").write_text(text)
    (root / "Agentfile").write_text(AGENTFILE)


def fake_claude(directory: Path, log: Path) -> None:
    """`claude` on PATH: the fake, logging to `log` and keeping its prompts in `prompts_of(log)` (baked in:
    agents get a minimal environment)."""
    directory.mkdir()
    wrapper = directory / "claude"
    fake = f'exec "{sys.executable}" "{FAKE_AGENT}" "$@"'
    kept = f'FAKE_AGENT_PROMPTS="{prompts_of(log)}" FAKE_AGENT_STATE="{log.with_suffix(".state")}"'
    wrapper.write_text(f'#!/bin/sh\nFAKE_AGENT_LOG="{log}" {kept} FAKE_AGENT_AS=claude {fake}\n')
    wrapper.chmod(0o755)


def prompts_of(log: Path) -> Path:
    """Where the fake logging to `log` keeps its prompts (`soak_ledger`)."""
    return log.with_suffix(".prompts")


def soak(
    seed: int, docs: int, work: Path, signum: int = signal.SIGKILL, recheck: bool = False,
    faults: bool = False,
) -> tuple[list[str], int, int]:  # fmt: skip
    """(broken rules, stops, stops while re-checking) for one seed."""
    rng = random.Random(seed)
    root, log = work / f"seed{seed}", work / f"agents{seed}.log"
    project(root, docs, rng, faults)
    fake_claude(work / f"bin{seed}", log)
    env = {**os.environ, "PATH": f"{work / f'bin{seed}'}{os.pathsep}{BIN}{os.pathsep}{os.environ['PATH']}"}
    env["NO_COLOR"] = "1"
    env.setdefault("ANTHROPIC_API_KEY", "soak-fake-key")  # the fake claude, like the real one, wants a key
    ledger = Ledger()
    broken, kills = stop_until_done(root, docs, work, seed, env, rng, signum, (NOTES,), ledger=ledger)
    if broken:
        return broken, kills, 0
    broken = check(root, docs, log) or again(root, env, log) or paid_as_said(root, env, log, ledger)
    if broken or not recheck:
        return broken, kills, 0
    calls = len(log.read_text().splitlines())
    (root / "Agentfile").write_text(with_recheck(AGENTFILE))
    more, rechecks = stop_until_done(
        root, docs, work, seed, env, rng, signum, (NOTES, REWRITTEN), ledger=ledger
    )
    if more:
        return [f"re-check: {b}" for b in more], kills + rechecks, rechecks
    broken = [f"re-check: {b}" for b in check(root, docs, log, notes=REWRITTEN)]
    called = [line for line in log.read_text().splitlines()[calls:] if line.startswith("start ")]
    if called:
        broken.append(f"re-check: agents called for a changed check alone: {called}")
    broken += [] if broken else [f"re-check: {b}" for b in again(root, env, log)]
    broken += [] if broken else [f"re-check: {b}" for b in paid_as_said(root, env, log, ledger)]
    return broken, kills + rechecks, rechecks


def paid_as_said(root: Path, env: dict[str, str], log: Path, ledger: Ledger) -> list[str]:
    """What was paid is what the records keep and what the builds' summary lines said: `soak_ledger` (after a
    kill -9 too: what a killed build spent, which it never said, is said once by a build after it)."""
    return recorded(root, env, log, prompts_of(log)) + spent(ledger, log, prompts_of(log))


def stop_until_done(
    root: Path, docs: int, work: Path, seed: int, env: dict[str, str], rng: random.Random, signum: int,
    notes: tuple[str, ...], changing: frozenset[int] = frozenset(),
    between: Callable[[float, bool], list[str]] | None = None, ledger: Ledger | None = None,
) -> tuple[list[str], int]:  # fmt: skip
    """Build, stopping each build by `signum` at a random moment, until one completes: (broken rules, stops).
    `notes`: how an annotation may begin after a stop; `changing`: the documents edited or put back
    (`wrong_outputs`).
    `between(launched, done)`, if given, is called after each build launched at `launched` (`done`: the one
    that completed) and before the dry run that follows a stop: what it returns are rules broken
    (`soak_touch` runs -t there). `ledger`, if given, notes what each build printed (`soak_ledger`)."""
    kills, log, foreseen, stale = 0, work / f"agents{seed}.log", None, None
    for attempt in range(80):
        launched = time.time()
        build = subprocess.Popen(
            [str(BIN / "agentmake"), "report", "-s"], cwd=root, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            out, _ = build.communicate(timeout=rng.uniform(0.05, 0.8 + 0.1 * attempt))
        except subprocess.TimeoutExpired:
            os.kill(build.pid, signum)
            kills += 1
            try:
                out, _ = build.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                stacks = dump_stacks(build.pid, work / f"hang{seed}-{kills}.txt")
                try:  # (a Ctrl-C Python lost before agentmake ran: the build runs to its end: `lost_early`)
                    out, _ = build.communicate(timeout=120 if signum == signal.SIGINT else 0.1)
                except subprocess.TimeoutExpired:
                    build.kill()
                    out, _ = build.communicate()
                if build.returncode == 0 and lost_early(out):
                    if ledger is not None:
                        ledger.note(out)
                    return [], kills
                name = signal.Signals(signum).name[3:]
                return [f"SIG{name} did not end the build within 10 s{stacks}"], kills
            # 130: stopped cleanly; -signum: the signal came before the build began (what make does too);
            # 1 with "Fatal Python error: init_...": it came while the interpreter itself was starting, before
            # any of agentmake ran (what every Python program does; seen on a loaded machine)
            interpreter = build.returncode == 1 and "Fatal Python error: init_" in out
            interpreter |= build.returncode == 1 and FAILED in out  # (`--faults`: it failed before the stop)
            if ledger is not None and signum == signal.SIGKILL:
                ledger.note_killed(out, root, build.pid)
            elif ledger is not None:
                ledger.note(out)
            if signum != signal.SIGKILL and build.returncode not in (0, 130, -signum) and not interpreter:
                shown = out if len(out) <= 900 else f"{out[:300]}\n[...]\n{out[-500:]}"
                return [f"a build stopped by a signal exited {build.returncode}: {shown}"], kills
            # (after a kill -9, a multi-output agent's outputs it wrote in place may be cut short by its
            # parent-death signal, or written whole for a result not recorded: the next agentmake command
            # undoes them, even a dry run, before it reads anything: `runners.backups.recover`)
            killed = signum == signal.SIGKILL
            partial = (
                [] if killed else wrong_outputs(root, docs, present_only=True, notes=notes, changing=changing)
            )
            hidden = unforeseen(log, launched, foreseen) + (between(launched, False) if between else [])
            if partial or hidden:
                return [f"after stop {kills}: {p}" for p in partial + hidden], kills
            foreseen, stale = dry_run(root, env), question(root, env)
            if stale not in (0, 1):
                return [f"after stop {kills}: agentmake -q exited {stale}"], kills
            partial = (
                wrong_outputs(root, docs, present_only=True, notes=notes, changing=changing) if killed else []
            )
            if partial:
                return [f"after stop {kills} and the dry run after it: {p}" for p in partial], kills
            continue
        if ledger is not None:
            ledger.note(out)
        if build.returncode == 1 and FAILED in out:  # (`--faults`: a translation stopped at its turn limit)
            hidden = unforeseen(log, launched, foreseen) + (between(launched, False) if between else [])
            if hidden:
                return [f"after a failed build: {p}" for p in hidden], kills
            foreseen, stale = dry_run(root, env), question(root, env)
            continue
        if build.returncode != 0:
            return [f"a build failed ({build.returncode}): {out[-500:]}"], kills
        broken = answered(stale, out) + unforeseen(log, launched, foreseen)
        return broken + (between(launched, True) if between else []), kills
    return ["no build completed"], kills


def dry_run(root: Path, env: dict[str, str]) -> set[str]:
    """The tasks `agentmake -n` says the next build would (or may) run."""
    command = [str(BIN / "agentmake"), "report", "-n"]
    said = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=120).stdout
    return {
        line.split()[2].rstrip(":")
        for line in said.splitlines()
        if line.startswith(("would run ", "may run "))
    }


def question(root: Path, env: dict[str, str]) -> int:
    """What `agentmake -q` exits: 0 when every task is up to date, 1 when a build would do something."""
    command = [str(BIN / "agentmake"), "report", "-q"]
    return subprocess.run(command, cwd=root, env=env, capture_output=True, timeout=120).returncode


def answered(stale: int | None, out: str) -> list[str]:
    """`agentmake -q`, asked just before the build that printed `out` (and completed), agrees with it: it
    exited 0 if that build ran and restored nothing, 1 if it did something."""
    idle = re.search(r"^agentmake: 0 ran, 0 cached,", out, re.M) is not None
    if stale is None or idle == (stale == 0):
        return []
    summary = next((x for x in out.splitlines() if re.match(r"agentmake: \d+ ran,", x)), "no summary line")
    return [f"agentmake -q exited {stale}, and the build after it said: {summary}"]


def unforeseen(log: Path, since: float, foreseen: set[str] | None) -> list[str]:
    """The agents called by the build launched at `since` for a task the dry run before it (`foreseen`, if
    one ran) did not say it would run: a paid call `-n` hid."""
    if foreseen is None or not log.exists():
        return []
    called = set()
    for event, at, _, _, label in (line.split() for line in log.read_text().splitlines()):
        if event == "start" and float(at) >= since:
            called.add(f"notes:{label[6:]}" if label.startswith("notes-") else f"translate:{label}")
    hidden = sorted(called - foreseen)
    return [f"agents called for {hidden}, which the dry run before did not say would run"] if hidden else []


def again(root: Path, env: dict[str, str], log: Path) -> list[str]:
    """The build after the one that completed: it must run nothing and call no agent (what was paid for
    under fire, and recorded by the builds that resumed it, is never paid for again); `agentmake -q` asked
    before it exits 0."""
    calls = len(log.read_text().splitlines())
    stale = question(root, env)
    command = [str(BIN / "agentmake"), "report", "-s"]
    build = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=120)
    broken = [] if stale == 0 else [f"agentmake -q after the completed build exited {stale}"]
    if TOKENS.search(build.stdout.rstrip().splitlines()[-1] if build.stdout.strip() else ""):
        broken.append(f"the build after the completed one reported spend: {build.stdout.strip()}")
    if build.returncode != 0 or " 0 ran, 0 cached," not in build.stdout:
        said = f"({build.returncode}): {build.stdout.strip()} {build.stderr.strip()}"
        broken.append(f"the build after the completed one did something {said}")
    called = log.read_text().splitlines()[calls:]
    if called:
        broken.append(f"the build after the completed one called agents: {called}")
    return broken


def lost_early(out: str) -> bool:
    """Whether a build's output begins with a Ctrl-C that Python lost while it started, before agentmake ran
    (the console script's own `import re`, the site module: an "Exception ignored" in the import machinery's
    module-lock callback): no handler of agentmake's could see it, and the build ran as if none had come.
    One lost once agentmake's handler is in place is still counted (`agentmake.interrupts`)."""
    head = out.splitlines()[:4]
    lost = any("KeyboardInterrupt" in line for line in head)
    return bool(head) and head[0].startswith("Exception ignored in") and lost


def dump_stacks(pid: int, to: Path) -> str:
    """Where `py-spy` is installed, write every thread's stack of the hung build `pid` to `to`: what the
    message then names (a hang seldom repeats on the same seed)."""
    spy = shutil.which("py-spy")
    if spy is None:
        return " (install py-spy to have the hung build's stacks written)"
    dump = subprocess.run([spy, "dump", "--locals", "--pid", str(pid)], capture_output=True, text=True)
    to.write_text(dump.stdout + dump.stderr)
    return f" (its stacks: {to})"


def wrong_outputs(
    root: Path, docs: int, *, present_only: bool = False, notes: tuple[str, ...] = (NOTES,),
    edited: frozenset[int] = frozenset(), changing: frozenset[int] = frozenset(),
) -> list[str]:  # fmt: skip
    """Outputs that are not what they must be (missing ones too, unless `present_only`). `notes`: how an
    annotation may begin (`NOTES`, or as `RECHECK` rewrites it); `edited`: the documents whose line is
    `EDITED` now, `changing`: those whose outputs may be for either line (not rebuilt yet: `soak_touch`)."""
    wrong = []
    for i in range(docs):
        lines = ["", EDITED] if i in changing else [EDITED if i in edited else ""]
        answers = [f"ANSWER:\nTranslate:\nline one of d{i}{line}\n" for line in lines]
        expected = {
            "md": answers, "count": ["3\n"], "a": answers, "b": answers,
            # (the fake writes the prompt's lines that are not directives)
            "x": [f"written by fake claude: build/d{i:02d}.x\n{head}{a}" for head in notes for a in answers],
            "y": [f"written by fake claude: build/d{i:02d}.y\n{head}{a}" for head in notes for a in answers],
        }  # fmt: skip
        for suffix, texts in expected.items():
            path = root / "build" / f"d{i:02d}.{suffix}"
            try:
                found = path.read_text()
            except FileNotFoundError:
                if not present_only:
                    wrong.append(f"{path.name} is missing")
                continue
            if found.strip() not in [text.strip() for text in texts]:
                wrong.append(f"{path.name} is wrong: {found!r}")
    return wrong


def check(
    root: Path,
    docs: int,
    log: Path,
    notes: str = NOTES,
    edited: frozenset[int] = frozenset(),
    since: float = 0.0,
) -> list[str]:
    """The rules after the build that completes; payments counted from `since` (a `.agentmake/` deleted
    then loses what was salvaged before it: `soak_touch`)."""
    broken = wrong_outputs(root, docs, notes=(notes,), edited=edited)
    temps = [str(p) for p in root.rglob("*agentmake-tmp*") if ".agentmake" not in p.parts]
    if temps:
        broken.append(f"staged files left: {temps}")
    events = [line.split() for line in log.read_text().splitlines()]  # event time pid cli label
    faulty = {p.stem for p in prompts_of(log).glob("*.fired")}  # (`--faults`: paid, but no answer)
    paid: Counter[str] = Counter()
    started: dict[str, str] = {}
    for event, at, pid, _, label in events:
        if event == "start":
            started[pid] = at
        elif event == "end" and float(at) >= since and f"{pid}-{started.get(pid)}" not in faulty:
            paid[label] += 1
    broken += [f"{label} paid {n} times" for label, n in sorted(paid.items()) if n > 1]
    time.sleep(0.2)
    living = [pid for event, _, pid, _, _ in events if event == "start" and alive(int(pid))]
    if living:
        broken.append(f"agents still alive: {living}")
    return broken


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="1-10", help="a range FIRST-LAST (default 1-10)")
    ap.add_argument("--docs", type=int, default=24)
    ap.add_argument("--signal", default="KILL", choices=("KILL", "INT", "TERM"), help="what stops a build")
    ap.add_argument("--recheck", action="store_true", help="then re-check the annotations with a new check")
    ap.add_argument(
        "--faults", action="store_true", help="a quarter of the first translations stop at a turn limit, paid"
    )
    ap.add_argument("--work", type=Path, help="where the projects go (default: a new temporary directory)")
    args = ap.parse_args()
    # the builds inherit what this process ignores: started as a background job of a non-interactive shell,
    # it ignores SIGINT, and so would every build, each then running to its end as if no Ctrl-C had come
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for name in ("SIGTERM", "SIGHUP"):
        signal.signal(getattr(signal, name), signal.SIG_DFL)
    first, _, last = args.seeds.partition("-")
    work = args.work or Path(tempfile.mkdtemp(prefix="agentmake-soak-"))
    failed, total = 0, 0
    for seed in range(int(first), int(last or first) + 1):
        broken, kills, rechecking = soak(
            seed, args.docs, work, getattr(signal, "SIG" + args.signal), args.recheck, args.faults
        )
        total += kills
        failed += bool(broken)
        said = "; ".join(broken) if broken else "every rule held"
        stops = f"{kills} stops ({rechecking} re-checking)" if args.recheck else f"{kills} stops"
        print(f"seed {seed}: {stops}, {said}", flush=True)
    print(f"soak_kill9: {total} stops, {failed} seed(s) broke a rule ({work})")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
