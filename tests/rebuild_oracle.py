"""A reference model of agentmake's rebuild decisions, and a driver that plays random edits against both.

The project: `up` (shell, fan-out) upper-cases `src/{n}.txt` into `mid/{n}.txt`; `tr` (fake claude, fan-out)
answers from `mid/{n}.txt` into `llm/{n}.md`; `join` (shell, fan-in) concatenates `llm/*.md` into `all.txt`;
the report `summary` (built-in, no run summary) renders `all.txt` into `REPORT.md`.

The oracle keeps its own copy of the project's files and of each task's history, and says what a build must do
with each task, in topological order: *up to date* if its key is the one of its last good build and its
outputs are there (a hand edit is kept, unless the record is failed since), or if that key was built before
and its outputs hold that result already (the record follows them); *cached* if that key was built before;
else it *runs*. A key is the oracle's own tuple of what must matter (rendered prompt or command,
runner command and model, input paths and contents); everything else (comments, `jobs`, order of blocks,
description, priority, timeout, `parallel`, unused variables, timestamps) is left out of it on purpose.

Failures are told to the agents out of band: `up` fails while a file `fail-{n}` exists, `tr` fails
(fake HTTP 500) for the `{n}` named by the variable `boom`.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

NAMES = ("a", "b", "c", "d")
WORDS = ("alpha", "bravo", "charl", "delta")  # one length: an edit keeps the size
UP_CMDS = (  # (command, what it makes of a line); 0 and 1 make the same bytes
    ("tr a-z A-Z < {input} > {output}", str.upper),
    ("tr a-z A-Z < {input} | cat > {output}", str.upper),
    ("tr a-z A-Z < {input} | rev > {output}", lambda s: s.upper()[::-1]),
)
TEMPLATES = (  # (template, identity of what it renders): 0 and 1 render the same prompt
    "FAKE: label=tr-{{ n }}{% if n == boom %} fail=500{% endif %}\nInto {{ lang }}:\n{{ read(input) }}\n",
    "FAKE: label=tr-{{ n }}{% if n == boom %} fail=500{% endif %}\n{# a note #}Into {{ lang }}:\n"
    "{{ read(input) }}\n",
    "FAKE: label=tr-{{ n }}{% if n == boom %} fail=500{% endif %}\nTranslate to {{ lang }}:\n"
    "{{ read(input) }}\n",
    "FAKE: label=tr-{{ n }} show-argv{% if n == boom %} fail=500{% endif %}\nInto {{ lang }}:\n"
    "{{ read(input) }}\n",
)
RENDERS = (0, 0, 2, 3)
# a task's state in words (`up to date`, `not run`), its task id, what follows in parentheses
EVENT = re.compile(r"^\[\s*[\d.]+s\] (up to date|not run|\S+)\s+(\S+)(?:\s+\((.*)\))?$", re.M)
Reader = Callable[[str], "str | None"]
DRY = re.compile(r"^(would|may) (run|restore) (\S+?): ", re.M)


@dataclass(frozen=True)
class Config:
    """The Agentfile: settings that matter, then cosmetics that must not."""

    model: str = "sonnet"
    flags: str = ""  # extra flags on the claude runner's command
    up_cmd: int = 0
    model_on_runner: bool = False  # the same model, said on the runner instead of the agent
    jobs: int = 2
    comment: str = ""
    description: str = "first stage"
    priority: int = 0
    timeout: str = "60s"
    parallel: int = 2
    order: tuple[int, ...] = (0, 1, 2, 3)
    indent: int = 4
    note: str = "unused"

    def text(self) -> str:
        i = " " * self.indent
        model = f"{i}model = {self.model}\n"
        cmd = UP_CMDS[self.up_cmd][0]
        blocks = [
            f"agent up:\n{i}description = {self.description!r}\n{i}inputs = src/{{n}}.txt\n"
            f"{i}outputs = mid/{{n}}.txt\n{i}priority = {self.priority}\n"
            f'{i}run = "test ! -e fail-{{n}} && {cmd}"\n',
            f"agent tr:\n{i}inputs = mid/{{n}}.txt\n{i}outputs = llm/{{n}}.md\n{i}prompt = prompts/tr.md\n"
            f"{i}timeout = {self.timeout}\n" + ("" if self.model_on_runner else model),
            f"agent join:\n{i}inputs = llm/*.md\n{i}outputs = all.txt\n"
            f'{i}run = "cat {{inputs}} > {{output}}"\n',
            f"report summary:\n{i}inputs = all.txt\n{i}output = REPORT.md\n{i}summary = false\n",
        ]
        runner = f'runner claude:\n{i}command = "claude -p --output-format json{self.flags}"\n'
        runner += f"{i}parallel = {self.parallel}\n" + (model if self.model_on_runner else "")
        head = f"# {self.comment}\njobs = {self.jobs}\nretries = 0\nlang = French\nboom = none\n"
        head += f"note = {self.note!r}\n\n"
        return head + runner + "\n" + "\n".join(blocks[k] for k in self.order)


@dataclass
class Record:
    key: tuple[object, ...]
    status: str  # "done" | "failed" | "partial"
    written: dict[str, str]  # outputs as the last good build made them


@dataclass
class Oracle:
    """The project as the oracle sees it, and every task's history."""

    cfg: Config = field(default_factory=Config)
    template: int = 0
    files: dict[str, str] = field(default_factory=dict)  # project files the tasks read or make
    fails: set[str] = field(default_factory=set)  # `fail-{n}` files present
    records: dict[str, Record] = field(default_factory=dict)
    cache: dict[str, dict[tuple[object, ...], dict[str, str]]] = field(default_factory=dict)
    answers: dict[tuple[object, ...], str] = field(default_factory=dict)  # what a key made (learned)

    def tasks(self) -> list[tuple[str, str, list[str], list[str]]]:
        """(task id, agent, inputs, outputs) in topological order."""
        names = sorted(p[4:-4] for p in self.files if p.startswith("src/"))
        out = [(f"up:{n}", "up", [f"src/{n}.txt"], [f"mid/{n}.txt"]) for n in names]
        # a leftover (mid/{n}.txt of a source removed since) still matches the wildcard: tr:{n} stays
        mids = sorted(
            set(names) | {p[4:-4] for p in self.files if p.startswith("mid/") and p.endswith(".txt")}
        )
        out += [(f"tr:{n}", "tr", [f"mid/{n}.txt"], [f"llm/{n}.md"]) for n in mids]
        made = {f"llm/{n}.md" for n in mids}
        llm = sorted(made | {p for p in self.files if p.startswith("llm/") and p.endswith(".md")})
        return [*out, ("join", "join", llm, ["all.txt"]), ("summary", "summary", ["all.txt"], ["REPORT.md"])]

    def key(self, agent: str, inputs: list[str], variables: dict[str, str]) -> tuple[object, ...]:
        seen = tuple((p, self.files.get(p)) for p in inputs)
        if agent == "up":
            return ("up", UP_CMDS[self.cfg.up_cmd][0], seen)
        if agent == "tr":
            n = inputs[0][4:-4]
            prompt = (RENDERS[self.template], variables.get("lang", "French"), variables.get("boom") == n)
            return ("tr", prompt, self.cfg.model, self.cfg.flags, seen)
        return (agent, seen)

    def expect(
        self, variables: dict[str, str], keep_going: bool, events: dict[str, str], read: Reader
    ) -> list[str]:
        """Walk the build as the oracle decides it, checking `events` (task -> last state agentmake showed);
        update the model with what happened. `read` reads a file of the real project (to learn what the fake
        LLM answered). Returns the disagreements."""
        wrong: list[str] = []
        blocked: set[str] = set()  # outputs of tasks that failed or did not run
        failed_any = "failed" in events.values()
        for tid, agent, inputs, outputs in self.tasks():
            seen = events.get(tid, "up-to-date")
            if blocked & set(inputs):
                # a partial report: built, then never up to date; with none of its inputs made, not run
                if agent == "summary" and keep_going and not set(inputs) <= blocked:
                    if seen != "done":
                        wrong.append(f"{tid}: {seen}, but with -k a partial report is built")
                    written = {p: read(p) or "" for p in outputs}
                    self.files.update(written)
                    self.records[tid] = Record(("partial",), "partial", written)
                    continue
                if seen not in ("not-run", "up-to-date") or (seen == "up-to-date" and tid in events):
                    wrong.append(f"{tid}: {seen}, but an input's task failed or did not run")
                blocked.update(outputs)
                continue
            key = self.key(agent, inputs, variables)
            want = self._decide(tid, key, outputs)
            if seen == "not-run" and failed_any and not keep_going:  # (stopped after a failure)
                if want != "up-to-date":  # (one found up to date with a notice may be shown not-run)
                    blocked.update(outputs)
                continue
            fails = want == "done" and self._fails(agent, tid, variables)
            if fails:
                want = "failed"
            if seen != want:
                wrong.append(f"{tid}: agentmake says {seen}, the oracle {want} (key {key})")
            if want == "failed":
                blocked.update(outputs)
                rec = self.records.get(tid)
                if rec is not None:
                    rec.status = "failed"
                continue
            if want in ("done", "cached"):
                made = self.cache.get(tid, {}).get(key) or self._make(agent, key, inputs, outputs, read)
                self.files.update(made)
                self.records[tid] = Record(key, "done", dict(made))
                self.cache.setdefault(tid, {})[key] = dict(made)
            elif self.records[tid].key != key:  # found in place: the record follows the outputs
                self.records[tid] = Record(key, "done", dict(self.cache[tid][key]))
            else:
                self.records[tid].status = "done"
        return wrong

    def _decide(self, tid: str, key: tuple[object, ...], outputs: list[str]) -> str:
        rec = self.records.get(tid)
        if rec is not None and rec.key == key and all(p in self.files for p in outputs):
            edited = any(self.files[p] != rec.written.get(p) for p in outputs)
            if rec.status == "done" or not edited:
                return "up-to-date"
        cached = self.cache.get(tid, {}).get(key)
        if cached is not None and all(self.files.get(p) == cached.get(p) for p in outputs):
            return "up-to-date"  # (restoring it would rewrite the same bytes)
        return "done" if cached is None else "cached"

    def _fails(self, agent: str, tid: str, variables: dict[str, str]) -> bool:
        n = tid.partition(":")[2]
        return (agent == "up" and n in self.fails) or (agent == "tr" and variables.get("boom") == n)

    def _make(
        self, agent: str, key: tuple[object, ...], inputs: list[str], outputs: list[str], read: Reader
    ) -> dict[str, str]:
        """What running the task makes: the shell agents' is computed; the fake LLM's answer and the report
        are learned from the disk the first time their key is made (compared with it after that)."""
        if agent == "up":
            text = self.files[inputs[0]]
            return {outputs[0]: "".join(UP_CMDS[self.cfg.up_cmd][1](ln) + "\n" for ln in text.splitlines())}
        if agent == "join":
            return {outputs[0]: "".join(self.files[p] for p in inputs)}
        if key not in self.answers:
            self.answers[key] = read(outputs[0]) or "?"
        return {outputs[0]: self.answers[key]}


class Driver:
    """The real project beside the oracle: applies an edit to both, runs agentmake, compares."""

    def __init__(self, root: Path, env: dict[str, str], seed: int) -> None:
        self.root, self.env, self.rng = root, env, random.Random(seed)
        self.oracle = Oracle()
        self.variables: dict[str, str] = {}
        self.log: list[str] = []  # what was done, to reproduce a failure
        self.undo: tuple[str, str] | None = None  # the last edit of a source: (path, content before)
        (root / "prompts").mkdir(parents=True)
        self.write_config(Config())
        self.write_template(0)
        for n in NAMES[:2]:
            self.put(f"src/{n}.txt", self.rng.choice(WORDS) + "\n")

    # files, on both sides
    def put(self, rel: str, text: str) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        self.oracle.files[rel] = text

    def read(self, rel: str) -> str | None:
        path = self.root / rel
        return path.read_text() if path.exists() else None

    def remove(self, rel: str) -> None:
        (self.root / rel).unlink()
        del self.oracle.files[rel]

    def write_config(self, cfg: Config) -> None:
        (self.root / "Agentfile").write_text(cfg.text())
        self.oracle.cfg = cfg

    def write_template(self, index: int) -> None:
        (self.root / "prompts/tr.md").write_text(TEMPLATES[index])
        self.oracle.template = index

    def am(self, *args: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "agentmake", *args]
        return subprocess.run(argv, cwd=self.root, env=self.env, capture_output=True, text=True, timeout=120)

    # one step
    def step(self) -> list[str]:
        """One random edit, then (sometimes) a dry run, then a build; the disagreements found."""
        what = self.edit()
        args = [f"{k}={v}" for k, v in sorted(self.variables.items())]
        keep = self.rng.random() < 0.3
        if keep:
            args.insert(0, "-k")
        self.log.append(f"{what}; agentmake {' '.join(args)}")
        dry = self.am("-n", *args) if self.rng.random() < 0.4 else None
        chance = self.rng.random() < 0.3
        status = self.am("status", "--json", *(a for a in args if a != "-k")) if chance else None
        run = self.am(*args)
        # each task's last state, by its event name (the line's `up to date` is `up-to-date`)
        events = {task: state.replace(" ", "-") for state, task, _ in EVENT.findall(run.stderr)}
        wrong = self.oracle.expect(self.variables, keep, events, self.read)
        wrong += self.compare_files()
        if dry is not None:
            wrong += compare_dry(dry.stdout, events)
        if status is not None:
            wrong += compare_status(status.stdout, events)
        if wrong:
            wrong.insert(0, f"after: {self.log[-1]}\n{run.stdout}{run.stderr}")
        return wrong

    def compare_files(self) -> list[str]:
        wrong = []
        for rel, text in sorted(self.oracle.files.items()):
            now = self.read(rel)
            if now != text:
                wrong.append(f"{rel} is {now!r}, the oracle expects {text!r}")
        return wrong

    def edit(self) -> str:
        """Apply one random operation to the project (and the oracle); say what it was."""
        rng, o = self.rng, self.oracle
        srcs = sorted(p for p in o.files if p.startswith("src/"))
        kind = rng.choice(EDITS)
        if kind == "edit" and srcs:
            rel = rng.choice(srcs)
            self.undo = (rel, o.files[rel])
            self.put(rel, rng.choice(WORDS) + "\n")
            return f"edit {rel} to {o.files[rel]!r}"
        if kind == "undo" and self.undo is not None and self.undo[0] in o.files:
            rel, text = self.undo
            self.put(rel, text)
            self.undo = None
            return f"undo: {rel} back to {text!r}"
        if kind == "touch" and srcs:
            rel = rng.choice(srcs)
            (self.root / rel).touch()
            return f"touch {rel}"
        if kind == "add":
            free = [n for n in NAMES if f"src/{n}.txt" not in o.files]
            if free:
                rel = f"src/{rng.choice(free)}.txt"
                self.put(rel, rng.choice(WORDS) + "\n")
                return f"add {rel}"
        if kind == "remove" and len(srcs) > 1:
            rel = rng.choice(srcs)
            self.remove(rel)
            return f"remove {rel}"
        outs = sorted(p for p in o.files if not p.startswith("src/"))
        if kind == "delete-output" and outs:
            rel = rng.choice(outs)
            self.remove(rel)
            return f"delete output {rel}"
        if kind == "corrupt-output" and outs:
            rel = rng.choice(outs)
            self.put(rel, "garbage " + rng.choice(WORDS) + "\n")
            return f"corrupt output {rel}"
        if kind == "template":
            index = rng.randrange(len(TEMPLATES))
            self.write_template(index)
            return f"template {index}"
        if kind == "setting":
            return self.change_setting()
        if kind == "variable":
            name = rng.choice(("lang", "boom", "note"))
            value = rng.choice(
                {"lang": ("French", "German"), "boom": ("none", *NAMES), "note": ("x", "y")}[name]
            )
            self.variables[name] = value
            return f"variable {name}={value}"
        if kind == "fail" and srcs:
            n = rng.choice(srcs)[4:-4]
            if n in o.fails:
                o.fails.discard(n)
                (self.root / f"fail-{n}").unlink()
                return f"fix up:{n}"
            o.fails.add(n)
            (self.root / f"fail-{n}").write_text("")
            return f"break up:{n}"
        return "nothing"

    def change_setting(self) -> str:
        rng, cfg = self.rng, self.oracle.cfg
        name = rng.choice(SETTINGS)
        order = list(cfg.order)
        rng.shuffle(order)
        value = {
            "model": rng.choice(("sonnet", "opus")), "flags": rng.choice(("", " --max-turns 3")),
            "up_cmd": rng.randrange(len(UP_CMDS)), "model_on_runner": not cfg.model_on_runner,
            "jobs": rng.randint(1, 4), "comment": rng.choice(("", "hello", "tuned")),
            "description": rng.choice(("first stage", "upper-case")), "priority": rng.randint(0, 3),
            "timeout": rng.choice(("60s", "2m")), "parallel": rng.randint(1, 3), "order": tuple(order),
            "indent": rng.choice((2, 4, 8)), "note": rng.choice(("unused", "other")),
        }[name]  # fmt: skip
        self.write_config(replace(cfg, **{name: value}))
        return f"setting {name}={value!r}"


EDITS = (
    "edit", "edit", "undo", "touch", "add", "remove", "delete-output", "corrupt-output", "template",
    "setting", "setting", "variable", "fail",
)  # fmt: skip
SETTINGS = (
    "model", "flags", "up_cmd", "model_on_runner", "jobs", "comment", "description", "priority", "timeout",
    "parallel", "order", "indent", "note",
)  # fmt: skip


def compare_dry(dry_out: str, events: dict[str, str]) -> list[str]:
    """A dry run's `would run`/`would restore` lines against what the build then did."""
    said = {task: (mood, verb) for mood, verb, task in DRY.findall(dry_out)}
    wrong = []
    for task, state in events.items():
        mood, verb = said.get(task, ("would", "skip"))
        if mood == "may" or state == "not-run":
            continue
        did = {"done": "run", "failed": "run", "cached": "restore", "up-to-date": "skip"}.get(state, state)
        if did != verb:
            wrong.append(f"dry run said {mood} {verb} {task}, the build did {state}:\n{dry_out}")
    return wrong


def compare_status(status_json: str, events: dict[str, str]) -> list[str]:
    """`agentmake status --json`'s action of each task against what the build then did (tasks waiting for
    an input to be rebuilt excepted: whether they run depends on what it becomes)."""
    wrong = []
    for row in json.loads(status_json):
        task, action = row["task"], row["action"]
        state = events.get(task, "up-to-date")
        if state == "not-run" or any("will be rebuilt" in r for r in row["reasons"]):
            continue
        did = {"done": "run", "failed": "run", "cached": "restore", "up-to-date": "skip"}.get(state, state)
        if did != action:
            wrong.append(f"status said {action} {task} ({row['reasons']}), the build did {state}")
    return wrong


def run_seed(root: Path, env: dict[str, str], seed: int, steps: int) -> list[str]:
    """Play `steps` random steps; the first step's disagreements (with the steps that led there), or []."""
    driver = Driver(root, env, seed)
    for _ in range(steps):
        wrong = driver.step()
        if wrong:
            return [f"seed {seed}, steps:", *driver.log, *wrong]
    return []
