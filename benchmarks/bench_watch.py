"""Watch-mode latency: from a saved edit to the affected task starting (target: p50 under 300 ms).

Runs `agentmake watch` as a real subprocess over a generated 50-document fan-out, saves one document at a
time, and reads the wall-clock time at which its task started (the shell agent writes `date +%s.%N` first).

    python benchmarks/bench_watch.py [--edits 20] [--docs 50] [--timeline]
    python benchmarks/bench_watch.py --relevance [--edits 200] [--docs 300]

`--timeline` runs watch with `AGENTMAKE_TRACE` (see `agentmake.trace`) and says, for the edits, how long
watch's "nothing to do" check took (`agentmake.watch.idle`: it decides every task) and how long the build it
did not spare took to decide them again before it started anything (`predecide`), beside a plain `os.stat` of
every file the tasks read and write: what deciding from stats alone costs at the least.

`--relevance` asks, in this process, what each of `--edits` saves of an input calls for
(`WatchSession.relevant`, as watch's loop does before deciding to build), over `--docs` agents that each
have a prompt file (files that plan the build, as the Agentfile and its includes are), and says how long
that took a change and how many times the session found the files that plan the build meanwhile.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AGENTFILE = """\
log = "{log}"

agent copy:
    inputs  = docs/{{name}}.md
    outputs = build/{{name}}.txt
    run     = "echo {{name}} $(date +%s.%N) >> ${{log}} && cp {{input}} {{output}}"
"""


def starts(log: Path) -> list[tuple[str, float]]:
    if not log.exists():
        return []
    out = []
    for line in log.read_text().splitlines():
        name, stamp = line.split()
        out.append((name, float(stamp)))
    return out


def wait_for(cond, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        time.sleep(0.005)


def decide_times(events: list[dict]) -> tuple[list[float], list[float], list[int]]:
    """From a watch's trace: the ms of each "nothing to do" check that let a build go on, and of that build's
    own deciding (run -> predecided), and how many tasks that decided."""
    checks: list[float] = []
    decides: list[float] = []
    counts: list[int] = []
    began = None
    began_run = 0.0
    build_after: float | None = None
    for e in events:
        moment = e["moment"]
        if moment == "idle-check":
            began = e["t"]
        elif moment == "idle-checked" and began is not None:
            if e["detail"] == "build":
                checks.append((e["t"] - began) * 1000)
                build_after = e["t"]
            began = None
        elif moment == "run" and build_after is not None:
            began_run = e["t"]
        elif moment == "predecided" and build_after is not None:
            decides.append((e["t"] - began_run) * 1000)
            counts.append(int(e["detail"] or 0))
            build_after = None
    return checks, decides, counts


def stat_all(project: Path) -> float:
    """ms to os.stat every document and every output once (median of 5)."""
    paths = [*project.glob("docs/*.md"), *project.glob("build/*.txt")]
    times = []
    for _ in range(5):
        start = time.perf_counter()
        for path in paths:
            os.stat(path)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


PROMPTED = """\
agent a{i}:
    runner  = claude
    prompt  = prompts/p{i}.md
    inputs  = docs/d{i}.md
    outputs = out/o{i}.md
"""


def relevance(edits: int, docs: int) -> None:
    """ms per change of `WatchSession.relevant` over `docs` agents with a prompt file each."""
    from agentmake.watch.session import WatchSession
    from agentmake.workflow import Request

    found = [0]
    real = WatchSession.watched_files

    def counted(self: WatchSession) -> set[str]:
        found[0] += 1
        return real(self)

    WatchSession.watched_files = counted  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        (project / "docs").mkdir()
        (project / "prompts").mkdir()
        for i in range(docs):
            (project / "docs" / f"d{i}.md").write_text(f"doc {i}\n")
            (project / "prompts" / f"p{i}.md").write_text(f"Summarize doc {i}.\n")
        (project / "Agentfile").write_text("\n".join(PROMPTED.format(i=i) for i in range(docs)))
        session = WatchSession(Request(directory=project, silent=True))
        try:
            assert session.load()
            loaded = found[0]
            times = []
            for k in range(edits):
                path = f"docs/d{k % docs}.md"
                (project / path).write_text(f"doc edit {k}\n")
                start = time.perf_counter()
                assert session.relevant({path}).rebuild
                times.append((time.perf_counter() - start) * 1000)
        finally:
            session.close()
    print(
        f"relevant() over {docs} agents with a prompt file each, {edits} input saves: median "
        f"{statistics.median(times):.3f} ms, max {max(times):.3f} ms a change; the files that plan the "
        f"build found {loaded} time(s) by the load, {found[0] - loaded} by the changes"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--edits", type=int, default=20)
    ap.add_argument("--docs", type=int, default=50)
    ap.add_argument("--timeline", action="store_true", help="trace watch's deciding before each build")
    ap.add_argument("--relevance", action="store_true", help="time what a save calls for, in process")
    args = ap.parse_args()
    if args.relevance:
        relevance(args.edits, args.docs)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        trace = Path(tmp) / "trace.jsonl"
        env = {**os.environ, "NO_COLOR": "1", "CI": "1"}
        if args.timeline:
            env["AGENTMAKE_TRACE"] = str(trace)
        project = Path(tmp) / "proj"
        (project / "docs").mkdir(parents=True)
        log = Path(tmp) / "starts.log"
        (project / "Agentfile").write_text(AGENTFILE.format(log=log))
        for i in range(args.docs):
            (project / "docs" / f"d{i}.md").write_text(f"doc {i}\n")
        proc = subprocess.Popen(
            [sys.executable, "-m", "agentmake", "watch", "-s"],
            cwd=project,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
        )
        try:
            wait_for(lambda: len(starts(log)) >= args.docs)
            time.sleep(1.0)
            latencies = []
            for k in range(args.edits):
                name = f"d{k % args.docs}"
                before = len(starts(log))
                saved = time.time()
                (project / "docs" / f"{name}.md").write_text(f"doc {name} edit {k}\n")
                wait_for(lambda before=before: len(starts(log)) > before)
                started = next(s for n, s in starts(log)[before:] if n == name)
                latencies.append((started - saved) * 1000)
                time.sleep(0.5)
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(15)
        if args.timeline:
            stats = stat_all(project)
            events = [json.loads(line) for line in trace.read_text().splitlines()]
            checks, decides, counts = decide_times(events)
    latencies.sort()
    p50 = statistics.median(latencies)
    p90 = latencies[int(len(latencies) * 0.9) - 1]
    verdict = "ok" if p50 < 300 else "over target"
    print(
        f"watch latency over {len(latencies)} edits: p50 {p50:.0f} ms, p90 {p90:.0f} ms, "
        f"min {latencies[0]:.0f} ms, max {latencies[-1]:.0f} ms (target p50 < 300 ms: {verdict})"
    )
    if args.timeline:
        print(
            f"deciding {args.docs} tasks, median over {len(checks)} edits: 'nothing to do' check "
            f"{statistics.median(checks):.1f} ms, then the build's own {statistics.median(decides):.1f} ms "
            f"({statistics.median(counts):.0f} decided) "
            f"(a stat of each of the {2 * args.docs} files read and written: {stats:.1f} ms)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
