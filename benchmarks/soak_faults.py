"""Fault soak: agents failing in every way the real CLIs fail, at random, under parallelism.

Each seed generates a project of 15-40 tasks: fan-outs over a few sources, chains of fan-outs, a shell
fan-in and a report, mixing shell agents with the fake `claude`, `codex` and `gemini` (tests/fake_agents:
each runner its own `parallel`), sometimes a runner whose CLI is not installed, random `-j`, `retries` and a
small backoff. Faults are injected at random through the fakes' prompt directives (fail=429/529/503/401/quota,
is_error, exit0-no-output, invalid-json-answer under `check = json`, hang and spawn-grandchild + hang past a
short `timeout`, exit=N), and in shell agents (exit 1, or no output), each for its first `times` runs, so some
heal within the retries and some do not. Two faulty builds run, one with `-k` and one without (in random
order, sometimes with `--budget`); then the faults are healed (`$FAKE_AGENT_STATE/healed`, and the same file
for the shell agents: the prompts, and so the keys, stay as they were) and a third build must finish it all.

After each build, from the fakes' own log, the shell agents' log, the files and the state database:
1. never more fake processes of one runner alive at once than its `parallel`, never more tasks than `-j`;
2. every task done has its outputs whole and right (computed here from the sources); no staged file
   (`.*.agentmake-tmp-*`) or `.partial` is left; no process of the build outlives it (nor a `sleep`
   grandchild);
3. a task that failed fatally (401, quota, a CLI not installed) was tried once, a retriable one at most
   `retries + 1` times; one whose fault heals within its retries ends done (with `-k`, no budget, its
   runner not failed for the whole build);
4. without `-k` no attempt starts once the first failure is known (a task running then may finish); with
   `-k` every task that depends on no failure ran, and each that does is `not run`, saying why;
5. the cost and tokens recorded for each task in this build are what the fakes reported for its attempts;
6. after the faults heal, no task done before runs again, and everything ends done.

    python benchmarks/soak_faults.py [--seeds 1-20] [--faults 0.3] [--work DIR] [-v]

Prints one line per seed and exits 1 if any seed broke a rule.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shlex
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"
FAKE_AGENT = TESTS / "fake_agents" / "fake_agent.py"
sys.path.insert(0, str(FAKE_AGENT.parent))

import fake_agent  # noqa: E402

BIN = Path(sys.executable).parent
CLIS = ("claude", "codex", "gemini")
WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")
FATAL = {"401", "quota"}  # (a CLI that is not installed is fatal too: the `ghost` runner)
SLACK = 0.5  # s: how long after a failed agent's last line agentmake may still start a task it decided on


@dataclass
class Fault:
    kind: str  # fail=CODE | is_error | exit0-no-output | invalid-json-answer | hang | grandchild | exit=N
    times: int  # the first `times` runs fail (the fake counts them per prompt)

    @property
    def fatal(self) -> bool:
        return self.kind.startswith("fail=") and self.kind[5:] in FATAL

    def directive(self) -> str:
        kind = "spawn-grandchild hang" if self.kind == "grandchild" else self.kind
        return f"{kind} times={self.times}"


@dataclass
class Agent:
    name: str
    runner: str  # claude | codex | gemini | ghost | shell
    source: str  # the directory of the files it reads ("src", or another agent's)
    json: bool = False
    faults: dict[str, Fault] = field(default_factory=dict)  # wildcard value -> its fault
    sleeps: dict[str, float] = field(default_factory=dict)
    shell_mode: dict[str, tuple[str, int]] = field(default_factory=dict)  # value -> (exit1|nooutput, times)

    @property
    def llm(self) -> bool:
        return self.runner != "shell"


@dataclass
class Project:
    root: Path
    names: list[str]
    agents: list[Agent]
    retries: int
    parallel: dict[str, int]
    joined: str  # the agent whose outputs the shell fan-in `join` concatenates

    def task_ids(self) -> list[str]:
        return [f"{a.name}:{n}" for a in self.agents for n in self.names] + ["join", "report"]

    def deps(self) -> dict[str, set[str]]:
        """task -> the tasks it reads the outputs of (directly)."""
        by_name = {a.name: a for a in self.agents}
        deps: dict[str, set[str]] = {}
        for a in self.agents:
            for n in self.names:
                deps[f"{a.name}:{n}"] = {f"{a.source}:{n}"} if a.source in by_name else set()
        deps["join"] = {f"{self.joined}:{n}" for n in self.names}
        deps["report"] = {"join"} | {f"{a.name}:{n}" for a in self.agents for n in self.names}
        return deps

    def label(self, task: str) -> str:
        return task.replace(":", "-")


# -- the project ---------------------------------------------------------------------------------------------


def generate(root: Path, work: Path, rng: random.Random, rate: float = 0.3) -> Project:
    names = [f"f{i}" for i in range(rng.randint(3, 6))]
    (root / "src").mkdir(parents=True)
    for n in names:
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6)))
        (root / "src" / f"{n}.txt").write_text(f"{text}\n")
    runners = [*CLIS, "shell", "shell"] + (["ghost"] if rng.random() < 0.15 else [])
    agents: list[Agent] = []
    count = max(3, min(6, 36 // len(names)))
    for i in range(rng.randint(3, count)):
        source = "src" if i < 2 or rng.random() < 0.3 else rng.choice(agents).name
        runner = rng.choice(runners)
        if runner == "ghost":
            runners.remove("ghost")  # (one agent of it is enough)
        a = Agent(f"a{i}", runner, source, json=runner in CLIS and rng.random() < 0.3)
        for n in names:
            a.sleeps[n] = rng.choice((0.02, 0.05, 0.1, 0.2))
            if a.runner == "shell" and rng.random() < rate:
                a.shell_mode[n] = (rng.choice(("exit1", "nooutput")), rng.choice((1, 1, 2, 9)))
            elif a.runner in CLIS and rng.random() < rate:
                a.faults[n] = random_fault(a, rng)
        agents.append(a)
    retries = rng.randint(0, 3)
    parallel = {"claude": rng.randint(1, 3), "codex": 1, "gemini": rng.randint(2, 3), "ghost": 1}
    joined = rng.choice(agents).name
    project = Project(root, names, agents, retries, parallel, joined)
    (root / "Agentfile").write_text(agentfile(project, work))
    return project


def random_fault(a: Agent, rng: random.Random) -> Fault:
    kinds = ["fail=429", "fail=529", "fail=503", "fail=401", "fail=quota", "exit0-no-output", "exit=3"]
    kinds += ["hang", "grandchild"]
    if a.runner == "claude":
        kinds.append("is_error")
    if a.json:
        kinds += ["invalid-json-answer"] * 2
    return Fault(rng.choice(kinds), rng.choice((1, 1, 2, 3, 9)))


def agentfile(p: Project, work: Path) -> str:
    lines = [f"retries = {p.retries}", "backoff = 0.05s", ""]
    for r, n in p.parallel.items():
        lines += [f"runner {r}:", f"    parallel = {n}"]
        if r == "ghost":
            lines += ["    base = claude", '    command = "no-such-agent-cli -p --output-format json"']
    step = shlex.quote(str(work / "step.sh"))
    for a in p.agents:
        inputs = "src/{n}.txt" if a.source == "src" else f"{a.source}/{{n}}.txt"
        lines += ["", f"agent {a.name}:", f"    inputs = {inputs}", f"    outputs = {a.name}/{{n}}.txt"]
        if not a.llm:
            modes = {n: a.shell_mode.get(n, ("ok", 0)) for n in p.names}
            table = " ".join(f"{n}={m}:{t}:{a.sleeps[n]}" for n, (m, t) in modes.items())
            lines.append(f'    run = "sh {step} {a.name} {{n}} {{input}} {{output}} {table}"')
            continue
        lines += [f"    runner = {a.runner}", "    timeout = 2s"]
        if a.json:
            lines.append("    check = json")
        tails = {
            n: f"sleep={a.sleeps[n]}" + (f" {a.faults[n].directive()}" if n in a.faults else "")
            for n in p.names
        }
        lines += [
            '    prompt = """',
            f"        FAKE: label={a.name}-{{{{ n }}}} {{{{ {json.dumps(tails)}[n] }}}}",
        ]
        if a.json:
            lines.append(f'        FAKE: answer={{"agent": "{a.name}", "n": "{{{{ n }}}}"}}')
        lines += [f"        {a.name} of {{{{ n }}}}", "        {{ read(input) }}", '        """']
    join = shlex.quote(str(work / "join.sh"))
    lines += ["", "agent join:", f"    inputs = {p.joined}/*.txt", "    outputs = join.txt"]
    lines += [f'    run = "sh {join} {{output}} {{inputs}}"']
    every = " ".join(f"{a.name}/*.txt" for a in p.agents)
    lines += ["", "report report:", f"    inputs = join.txt {every}", "    output = REPORT.md"]
    lines += ["", "default = report", ""]
    return "\n".join(lines)


STEP = """\
# step.sh NAME VALUE INPUT OUTPUT VALUE=MODE:TIMES:SLEEP...: a shell agent that fails its first TIMES runs
# (MODE exit1: exits 1; nooutput: exits 0 and writes nothing) unless $STATE/healed exists
name=$1 n=$2 in=$3 out=$4
shift 4
echo "start $(date +%s.%N) $$ $name-$n" >> {log}
for spec in "$@"; do
    case $spec in "$n="*) set -- $(echo "${{spec#*=}}" | tr : ' '); break;; esac
done
mode=$1 times=$2
sleep "$3"
if [ "$mode" != ok ] && [ ! -e {state}/healed ]; then
    count=$(( $(cat {state}/"$name-$n" 2>/dev/null || echo 0) + 1 ))
    echo $count > {state}/"$name-$n"
    if [ "$count" -le "$times" ]; then
        echo "end $(date +%s.%N) $$ $name-$n" >> {log}
        [ "$mode" = exit1 ] && exit 1
        exit 0
    fi
fi
{{ echo "$name:$n"; cat "$in"; }} > "$out"
echo "end $(date +%s.%N) $$ $name-$n" >> {log}
"""

JOIN = """\
out=$1
shift
echo "start $(date +%s.%N) $$ join" >> {log}
cat "$@" > "$out"
echo "end $(date +%s.%N) $$ join" >> {log}
"""


def tools(work: Path) -> dict[str, str]:
    """The fakes first on PATH, the shell agents' scripts, and the environment of a build."""
    bin_dir, state, shell_state = work / "bin", work / "state", work / "shell-state"
    for d in (bin_dir, state, shell_state, work / "home"):
        d.mkdir(parents=True, exist_ok=True)
    for cli in CLIS:
        wrapper = bin_dir / cli
        wrapper.write_text(
            f"#!/bin/sh\nFAKE_AGENT_STATE={shlex.quote(str(state))} "
            f"FAKE_AGENT_LOG={shlex.quote(str(work / 'agents.log'))} "
            f"FAKE_AGENT_PROMPTS={shlex.quote(str(work / 'prompts'))} "
            f'FAKE_AGENT_AS={cli} exec {shlex.quote(sys.executable)} -I {shlex.quote(str(FAKE_AGENT))} "$@"\n'
        )
        wrapper.chmod(0o755)
    log, st = shlex.quote(str(work / "shell.log")), shlex.quote(str(shell_state))
    (work / "step.sh").write_text(STEP.format(log=log, state=st))
    (work / "join.sh").write_text(JOIN.format(log=log))
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{BIN}{os.pathsep}{os.environ['PATH']}")
    env.update(
        HOME=str(work / "home"), NO_COLOR="1", AGENTMAKE_BACKOFF="0.05", GEMINI_CLI_TRUST_WORKSPACE="true"
    )
    env.update(ANTHROPIC_API_KEY="soak-anthropic-key", OPENAI_API_KEY="soak-openai-key")
    env.update(CODEX_API_KEY="soak-codex-key")  # (codex exec reads this one, not OPENAI_API_KEY)
    env.update(GEMINI_API_KEY="soak-gemini-key")
    for name in (
        "CLAUDE_CONFIG_DIR",
        "CODEX_HOME",
        "FAKE_AGENT_STATE",
        "FAKE_AGENT_LOG",
        "FAKE_AGENT_PROMPTS",
    ):
        env.pop(name, None)
    return env


def asked(work: Path, pid: int, start: str) -> str | None:
    """The prompt the fake of process `pid` whose `start` line says `start` (the time, as written) was given
    (it keeps it: `FAKE_AGENT_PROMPTS`), None if unknown."""
    try:
        return (work / "prompts" / f"{pid}-{start}.prompt").read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def told(prompt: str | None) -> bool:
    """Whether `prompt` is a retry's, carrying what a check said of the answer before (`runners.feedback`)."""
    return prompt is not None and "\nYour previous answer failed this check:\n" in prompt


# -- what the logs say ---------------------------------------------------------------------------------------


@dataclass
class Run:
    """One process of an agent: a fake CLI's (cli = claude...) or a shell agent's (cli = shell)."""

    cli: str
    label: str
    pid: int
    start: float
    end: float | None = None
    how: str = ""  # "end" | "term" | "" (no line: killed outright, or still running)


def runs(work: Path, since: float, until: float) -> list[Run]:
    found: dict[tuple[str, int], Run] = {}
    for log, fake in ((work / "agents.log", True), (work / "shell.log", False)):
        for line in log.read_text().splitlines() if log.exists() else []:
            parts = line.split(" ")
            event, at, pid = parts[0], float(parts[1]), int(parts[2])
            cli, label = (parts[3], parts[4]) if fake else ("shell", parts[3])
            if not since <= at <= until:
                continue
            if event == "start":
                found[(label, pid)] = Run(cli, label, pid, at)
            elif (label, pid) in found:
                found[(label, pid)].end, found[(label, pid)].how = at, event
    return sorted(found.values(), key=lambda r: r.start)


def most_at_once(spans: list[tuple[float, float]]) -> int:
    edges = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    now = peak = 0
    for _, step in edges:  # (an end sorts before a start at the same instant)
        now += step
        peak = max(peak, now)
    return peak


# -- what must hold ------------------------------------------------------------------------------------------


def expected(p: Project, task: str) -> str | None:
    """The content a task's output must have, from its inputs on disk (None: an input is missing)."""
    if task == "report":
        return None
    if task == "join":
        parts = [(p.root / p.joined / f"{n}.txt") for n in sorted(p.names)]
        return "".join(x.read_text() for x in parts) if all(x.exists() for x in parts) else None
    name, n = task.split(":")
    a = next(a for a in p.agents if a.name == name)
    source = p.root / a.source / f"{n}.txt"
    if not source.exists():
        return None
    if not a.llm:
        return f"{name}:{n}\n{source.read_text()}"
    if a.json:
        return json.dumps({"agent": name, "n": n})
    return f"ANSWER:\n{name} of {n}\n{source.read_text()}"


def same(found: str, want: str, json_answer: bool) -> bool:
    if json_answer:
        try:
            return json.loads(found) == json.loads(want)
        except ValueError:
            return False
    return [x for x in found.splitlines() if x.strip()] == [x for x in want.splitlines() if x.strip()]


def prompt_words(p: Project, a: Agent, n: str) -> tuple[int, str]:
    """(words of the prompt the fake reads, its answer when no fault fires) for an LLM task."""
    tail = f"sleep={a.sleeps[n]}" + (f" {a.faults[n].directive()}" if n in a.faults else "")
    source = (p.root / a.source / f"{n}.txt").read_text() if (p.root / a.source / f"{n}.txt").exists() else ""
    text = f"FAKE: label={a.name}-{n} {tail}\n"
    answer = json.dumps({"agent": a.name, "n": n})
    if a.json:
        text += f"FAKE: answer={answer}\n"
    body = f"{a.name} of {n}\n{source}"
    return len((text + body).split()), (answer if a.json else f"ANSWER:\n{body}")


def paid(
    p: Project, a: Agent, n: str, fired: bool, prompt: str | None = None
) -> tuple[float | None, int | None, int | None]:
    """What one finished run of the fake reported: (cost, tokens in, tokens out), None where it says none.
    `prompt`: what it was asked, if known; a retry told what its check said of the answer before was asked
    more than the task's prompt, and the fake counts every word it was given."""
    tin, answer = prompt_words(p, a, n)
    if prompt is not None and told(prompt):
        tin = len(prompt.split())
    kind = a.faults[n].kind if fired and n in a.faults else None
    if kind in ("hang", "grandchild") or (kind or "").startswith("exit="):
        return None, None, None
    if kind is not None and kind.startswith("fail="):
        if a.runner != "claude":
            return None, None, None
        obj = fake_agent.unbilled(fake_agent.result_obj(fake_agent.FAILURES["claude"][kind[5:]], {}))
        return obj["total_cost_usd"], 0, obj["usage"]["output_tokens"]
    if kind == "is_error":
        msg = 'API Error: Request rejected (429) · {"type":"error","error":{"type":"rate_limit_error"}}'
        obj = fake_agent.unbilled(fake_agent.result_obj(msg, {}, is_error=True))
        return obj["total_cost_usd"], 0, obj["usage"]["output_tokens"]
    if kind == "exit0-no-output":
        answer = ""
    elif kind == "invalid-json-answer":
        answer = '{"answer": "unterminated'
    tout = len(answer.split())
    if a.runner in ("claude", "ghost"):  # (ghost: the fake claude, once installed)
        return round(3e-6 * tin + 15e-6 * tout, 8), tin, tout
    return None, tin, tout


@dataclass
class Build:
    flags: list[str]
    keep_going: bool
    budget: float | None
    started: float
    ended: float
    code: int
    out: str
    run_id: int
    rows: dict[str, dict]  # task -> its row of the state's `attempts` table for this build
    status: dict[str, dict]  # task -> its row of `agentmake status --json`


def build(p: Project, env: dict[str, str], flags: list[str]) -> Build:
    started = time.time()
    proc = subprocess.run(
        [str(BIN / "agentmake"), "-s", *flags],
        cwd=p.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    ended = time.time()
    db = sqlite3.connect(f"file:{p.root / '.agentmake' / 'state.db'}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    run_id = db.execute("SELECT max(run_id) FROM runs").fetchone()[0]
    rows = {r["task_id"]: dict(r) for r in db.execute("SELECT * FROM attempts WHERE run_id = ?", (run_id,))}
    for row in rows.values():
        row["message"] = row["message"] or ""
    db.close()
    st = subprocess.run(
        [str(BIN / "agentmake"), "status", "--json"], cwd=p.root, env=env, capture_output=True, text=True
    )
    status = {row["task"]: row for row in json.loads(st.stdout)}
    budget = float(flags[flags.index("--budget") + 1]) if "--budget" in flags else None
    return Build(flags, "-k" in flags, budget, started, ended, proc.returncode, proc.stdout + proc.stderr,
                 run_id, rows, status)  # fmt: skip


def fires(p: Project, work: Path, healed: float) -> dict[tuple[str, int], bool]:
    """(label, pid) -> whether the fault of that run of a fake fired: one of the first `times` runs of its
    prompt, started before the faults healed (at `healed`). The fake counts the runs of each exact prompt:
    a retry told what the check said of the answer before (`told`) has its own count."""
    counts: dict[str, int] = {}
    fired: dict[tuple[str, int], bool] = {}
    faults = {f"{a.name}-{n}": f for a in p.agents for n, f in a.faults.items()}
    for line in (work / "agents.log").read_text().splitlines() if (work / "agents.log").exists() else []:
        event, at, pid, _, label = line.split(" ")
        if event != "start" or float(at) >= healed:
            continue
        prompt = asked(work, int(pid), at)
        key = label + ("\0" + prompt if told(prompt) else "")
        counts[key] = counts.get(key, 0) + 1
        f = faults.get(label)
        fired[(label, int(pid))] = f is not None and counts[key] <= f.times
    return fired


@dataclass
class Seen:
    """What one build did, as the logs tell it: its runs, each task's runs, and the runners it failed."""

    runs: list[Run]
    of_task: dict[str, list[Run]]
    fatal_runners: set[str]


def check(p: Project, work: Path, b: Build, before: dict[str, str], fired: dict) -> list[str]:
    """Every rule broken by build `b` (`before`: the tasks up to date before it; `fired`: see `fires`)."""
    rs = runs(work, b.started, b.ended + 1)
    labels = {p.label(t): t for t in p.task_ids()}
    of_task: dict[str, list[Run]] = {}
    for r in rs:
        if r.label in labels:
            of_task.setdefault(labels[r.label], []).append(r)
    fatal = ("auth", "quota", "not-found")  # (a runner's every call would fail alike: -k starts no more)
    names = {
        t.split(":")[0]
        for t, row in b.rows.items()
        if row["state"] == "failed" and row["error_type"] in fatal
    }
    seen = Seen(rs, of_task, {a.runner for a in p.agents if a.name in names})
    broken = at_once(p, b, seen) + outputs(p, work, b)
    broken += attempts(p, work, b, seen, before, fired) + stopping(p, b, seen, before)
    return broken + costs(p, work, b, seen, fired)


def at_once(p: Project, b: Build, seen: Seen) -> list[str]:
    """Rule 1: no more of a runner's agents at once than its `parallel`, no more tasks than -j."""
    broken = []
    runner_of = {f"{a.name}-{n}": a.runner for a in p.agents for n in p.names}
    for runner, parallel in p.parallel.items():
        spans = [(r.start, r.end or b.ended) for r in seen.runs if runner_of.get(r.label) == runner]
        if most_at_once(spans) > parallel:
            broken.append(f"{most_at_once(spans)} {runner} agents at once (parallel = {parallel})")
    j = int(b.flags[b.flags.index("-j") + 1])
    spans = [(r.start, r.end or b.ended) for r in seen.runs]
    if most_at_once(spans) > j:
        broken.append(f"{most_at_once(spans)} tasks at once (-j {j})")
    unended = [f"{r.label} ({r.pid})" for r in seen.runs if r.end is None]
    return broken + ([f"runs that logged no end: {unended}"] if unended else [])


def outputs(p: Project, work: Path, b: Build) -> list[str]:
    """Rule 2: every task up to date has its outputs right; nothing staged or partial, no process left."""
    broken = []
    for task in sorted(p.task_ids()):
        if b.status.get(task, {}).get("state") != "up to date":
            continue
        rel = {"join": "join.txt", "report": "REPORT.md"}.get(task, f"{task.replace(':', '/')}.txt")
        want, out = expected(p, task), p.root / rel
        if not out.exists():
            broken.append(f"{task} is up to date but {rel} is missing")
        elif want is not None:
            agent = next((a for a in p.agents if a.name == task.split(":")[0]), None)
            if not same(out.read_text(), want, agent is not None and agent.json):
                broken.append(f"{task}: {rel} is {out.read_text()!r}, not {want!r}")
    for t, row in b.rows.items():
        told = b.status.get(t, {}).get("state")
        if row["state"] in ("done", "cached") and t != "report" and told != "up to date":
            broken.append(f"{t} was {row['state']} but status says {told}")
    left = [
        str(x.relative_to(p.root)) for x in p.root.rglob("*") if re.search(r"agentmake-tmp|\.partial", x.name)
    ]
    if left:
        broken.append(f"left behind: {left}")
    return broken + survivors(work)


def attempts(p: Project, work: Path, b: Build, seen: Seen, before: dict[str, str], fired: dict) -> list[str]:
    """Rule 3: a fatal failure tried once, a retriable one at most retries + 1 times, a fault that heals
    within them ends done (with -k, no budget, and its runner not failed for the whole build)."""
    broken = []
    for a in p.agents:
        for n in p.names:
            task, f = f"{a.name}:{n}", a.faults.get(n)
            mine, row = seen.of_task.get(task, []), b.rows.get(task)
            state = row["state"] if row else None
            if a.runner == "ghost":  # (no process to see: the CLI is not installed)
                if row and state == "failed" and row["attempts"] != 1:
                    broken.append(f"{task} (CLI not installed) was tried {row['attempts']} times")
                continue
            if len(mine) > p.retries + 1:
                broken.append(f"{task} ran {len(mine)} times (retries = {p.retries})")
            if (
                f is not None
                and f.fatal
                and mine
                and fired.get((mine[0].label, mine[0].pid))
                and len(mine) != 1
            ):
                broken.append(f"{task} failed fatally ({f.kind}) but ran {len(mine)} times")
            if mine and state is None and task not in before:
                broken.append(f"{task} ran but the build recorded nothing of it")
            free = b.keep_going and b.budget is None and a.runner not in seen.fatal_runners
            if free and state == "failed" and heals(p, work, a, n, b.started):
                broken.append(
                    f"{task}'s fault heals within its retries, yet it failed: {row and row['message']}"
                )
    return broken


def stopping(p: Project, b: Build, seen: Seen, before: dict[str, str]) -> list[str]:
    """Rule 4: without -k nothing starts once a failure is known; with -k all that depends on no failure
    runs, and what is not run says why (and `status` says it too)."""
    broken = []
    if not b.keep_going:
        # (a task whose retry the stop held failed then, "not retried": the stop came from another's failure)
        failed = [
            t for t, r in b.rows.items() if r["state"] == "failed" and "not retried" not in r["message"]
        ]
        ends = [
            (mine[-1].end, t) for t in failed if (mine := seen.of_task.get(t)) and mine[-1].end is not None
        ]
        if ends:
            known, first = min(ends)
            late = [f"{r.label} ({r.start - known:.2f}s after)" for r in seen.runs if r.start > known + SLACK]
            if late:
                broken.append(f"without -k, started after {first} failed: {late}")
        return broken
    deps = p.deps()
    bad = {t for t, row in b.rows.items() if row["state"] in ("failed", "not-run")}
    for t in sorted(p.task_ids()):
        row = b.rows.get(t)
        blocked = any(d in bad for d in deps.get(t, ()))
        if row is None:
            if t not in before and b.status.get(t, {}).get("state") != "up to date":
                broken.append(f"with -k, {t} neither ran nor was up to date nor said why")
            continue
        if row["state"] == "done" and blocked and t != "report":
            broken.append(f"{t} ran though an input's task failed or was not run")
        if row["state"] != "not-run":
            continue
        why = row["message"] or ""
        if not why:
            broken.append(f"{t} was not run, saying nothing why")
        told = b.status.get(t, {}).get("reasons", [])
        if b.status.get(t, {}).get("state") != "up to date" and not any(why in x for x in told):
            broken.append(f"status does not say why {t} was not run ({why}): {told}")
        # ("scan failed" as make says it, or "dependency scan not run: ..." / "... is a partial report")
        named = re.match(r"dependency (\S+) |(\S+) failed\b", why)
        agent = next((a for a in p.agents if t.startswith(a.name + ":")), None)
        nothing = t == "report" and why.startswith("nothing to report")  # (no input made: no report)
        if blocked and not named and not (agent and agent.llm) and not nothing:
            broken.append(f"{t} was not run for a failed dependency, yet says: {why}")
        culprit = named and (named[1] or named[2])
        if culprit and culprit not in ancestors(deps, t) & bad:
            broken.append(f"{t} was not run, naming {culprit}, which did not fail before it: {why}")
        held = agent is not None and (agent.runner in seen.fatal_runners or b.budget is not None)
        if not blocked and not held and "budget" not in why:
            broken.append(f"with -k, {t} depends on no failure but was not run: {why}")
    held_by_budget = sorted(
        t for t, r in b.rows.items() if r["state"] == "not-run" and "budget" in r["message"]
    )
    spent = sum(row["cost_usd"] or 0 for row in b.rows.values())
    if held_by_budget and (b.budget is None or spent < b.budget - 1e-9):
        broken.append(f"held by the budget ({b.budget}) with {spent:.6f} spent: {held_by_budget}")
    return broken


def costs(p: Project, work: Path, b: Build, seen: Seen, fired: dict) -> list[str]:
    """Rule 5: each task's recorded cost and tokens are the sums of what its fakes reported this build."""
    broken = []
    for a in p.agents:
        for n in p.names:
            task, row = f"{a.name}:{n}", b.rows.get(f"{a.name}:{n}")
            if not a.llm or not seen.of_task.get(task) or row is None or row["state"] == "not-run":
                continue
            cost = tin = tout = None
            for r in seen.of_task[task]:
                if r.how == "end":  # (one ended by a signal printed nothing)
                    c, i, o = paid(
                        p, a, n, fired.get((r.label, r.pid), False), asked(work, r.pid, f"{r.start:.6f}")
                    )
                    cost = cost if c is None else (cost or 0) + c
                    tin = tin if i is None else (tin or 0) + i
                    tout = tout if o is None else (tout or 0) + o
            got = (row["cost_usd"], row["tokens_in"], row["tokens_out"])
            off = (got[0] is None) != (cost is None) or (cost is not None and abs(got[0] - cost) > 1e-9)
            if off or got[1:] != (tin, tout):
                broken.append(f"{task} recorded cost/tokens {got}, the fakes reported {(cost, tin, tout)}")
    return broken


def ancestors(deps: dict[str, set[str]], task: str) -> set[str]:
    found: set[str] = set()
    stack = list(deps.get(task, ()))
    while stack:
        t = stack.pop()
        if t not in found:
            found.add(t)
            stack.extend(deps.get(t, ()))
    return found


def heals(p: Project, work: Path, a: Agent, n: str, since: float) -> bool:
    """Whether the task's fault, as it stood when the build started at `since`, fires no more than its
    retries allow (so an attempt within them succeeds). An answer its check refused (invalid-json-answer)
    makes each retry a new prompt, told what the check said (`told`), whose runs the fake counts apart:
    the first attempt succeeds if the task's prompt has had `times` runs, a retry if the told one has."""
    if a.llm:
        f = a.faults.get(n)
        if f is None:
            return True
        if f.fatal:
            return False
        times = f.times
    else:
        times = a.shell_mode.get(n, ("ok", 0))[1]
    before = [r for r in runs(work, 0, since) if r.label == f"{a.name}-{n}"]
    if a.llm and a.faults[n].kind == "invalid-json-answer":
        retold = len([r for r in before if told(asked(work, r.pid, f"{r.start:.6f}"))])
        return len(before) - retold >= times or (p.retries > 0 and times - retold < p.retries)
    return times - len(before) <= p.retries


def survivors(work: Path) -> list[str]:
    """Processes of this seed still alive, ended here: none may outlive the build. Each names the seed's
    directory in its environment (a fake's state and log, a shell agent's PATH; inherited by what they
    start, a `sleep` grandchild too) or in its command line (a shell agent's script)."""
    mark = str(work).encode() + b"/"
    deadline = time.monotonic() + 2
    while True:
        alive = []
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit() or int(proc.name) == os.getpid():
                continue
            try:
                environ = (proc / "environ").read_bytes()
                cmdline = (proc / "cmdline").read_bytes()
            except OSError:
                continue
            if mark in environ or mark in cmdline:
                alive.append(int(proc.name))
        if not alive or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    for pid in alive:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return [f"processes left alive: {alive}"] if alive else []


SUMMARY = re.compile(r"^agentmake: \d+ ran, .*$", re.M)


def soak(seed: int, work: Path, rate: float = 0.3) -> tuple[list[str], str]:
    rng = random.Random(seed)
    work = work / f"seed{seed}"
    p = generate(work / "project", work, rng, rate)
    env = tools(work)
    subprocess.run(["git", "init", "-q", str(p.root)], check=True)
    broken: list[str] = []
    said: list[str] = []
    done_before: dict[str, str] = {}
    order = [True, False] if rng.random() < 0.5 else [False, True]
    healed_at = float("inf")
    for i, keep_going in enumerate([*order, True]):
        healed = i == 2
        if healed:
            healed_at = time.time()
            (work / "state" / "healed").touch()
            (work / "shell-state" / "healed").touch()
            ghost = work / "bin" / "no-such-agent-cli"  # (the missing CLI installed: the fake claude)
            ghost.write_text((work / "bin" / "claude").read_text())
            ghost.chmod(0o755)
        flags = ["-j", str(rng.randint(1, 6))] + (["-k"] if keep_going else [])
        if not healed and rng.random() < 0.25:
            flags += ["--budget", f"{rng.choice((0.0002, 0.0005, 0.001))}"]
        b = build(p, env, flags)
        summary = SUMMARY.findall(b.out)
        said.append(f"[{' '.join(flags)}] exit {b.code}: " + (summary[-1][11:] if summary else b.out[-300:]))
        found = check(p, work, b, done_before, fires(p, work, healed_at))
        if healed:
            labels = {p.label(t): t for t in p.task_ids()}
            rerun = [
                r.label for r in runs(work, b.started, b.ended + 1) if labels.get(r.label) in done_before
            ]
            if rerun:
                found.append(f"ran again after the faults healed, though done before: {rerun}")
            not_done = [t for t, row in b.status.items() if row["state"] != "up to date"]
            if b.code != 0 or not_done:
                found.append(f"after the faults healed, exit {b.code}, not done: {not_done}")
        broken += [f"build {i + 1} [{' '.join(flags)}]: {x}" for x in found]
        for t, row in b.status.items():
            if row["state"] == "up to date":
                done_before[t] = row["state"]
    return broken, " | ".join(said)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="1-20", help="a range FIRST-LAST (default 1-20)")
    ap.add_argument("--work", type=Path, help="where the projects go (default: a new temporary directory)")
    ap.add_argument(
        "--faults", type=float, default=0.3, help="the share of tasks given a fault (default 0.3)"
    )
    ap.add_argument("-v", "--verbose", action="store_true", help="also print each build's summary line")
    args = ap.parse_args()
    first, _, last = args.seeds.partition("-")
    work = args.work or Path(tempfile.mkdtemp(prefix="agentmake-faults-"))
    failed = 0
    for seed in range(int(first), int(last or first) + 1):
        t0 = time.monotonic()
        broken, said = soak(seed, work, args.faults)
        failed += bool(broken)
        verdict = "; ".join(broken) if broken else "every rule held"
        print(
            f"seed {seed} ({time.monotonic() - t0:.1f}s): {verdict}"
            + (f"\n  {said}" if args.verbose else ""),
            flush=True,
        )
    print(f"soak_faults: {failed} seed(s) broke a rule ({work})")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
