"""Test helpers for the store/rebuilder tests: a tiny project, its graph, and a build loop that plays the
scheduler's part (decide, save edited outputs, write or restore, record)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from agentmake.graph import Graph, Task
from agentmake.model import Agentfile, AgentSpec, Prompt, ReportSpec, RunnerSpec, Settings
from agentmake.plan import Decision, Hasher, Rebuilder
from agentmake.plan.hashing import hash_path
from agentmake.store import Store, TaskRecord

RUNNERS = {
    "claude": RunnerSpec(
        "claude", ("claude", "-p"), model="sonnet", model_flag="--model", format="claude-json"
    ),
    "shell": RunnerSpec("shell", ("sh", "-c")),
}


def agentfile(root: Path, variables: dict[str, str] | None = None, runners: dict | None = None) -> Agentfile:
    return Agentfile(
        path=root / "Agentfile",
        root=root,
        settings=Settings(),
        variables=dict(variables or {}),
        runners=dict(runners or RUNNERS),
        agents={},
        reports={},
    )


def translate_spec(text: str = "Translate {{ input }} into {{ lang }}.", **kw: object) -> AgentSpec:
    return AgentSpec(
        name="translate",
        inputs=("docs/{name}.md",),
        outputs=("build/{name}.md",),
        prompt=Prompt(text),
        **kw,  # type: ignore[arg-type]
    )


def fanout_graph(af: Agentfile, names: list[str], spec: AgentSpec | None = None) -> Graph:
    spec = spec or translate_spec()
    tasks = {}
    for n in names:
        t = Task(
            f"translate:{n}",
            "translate",
            "agent",
            (f"docs/{n}.md",),
            (f"build/{n}.md",),
            spec,
            (("name", n),),
        )
        tasks[t.id] = t
    return link(af, tasks)


def with_report(graph: Graph, spec: ReportSpec | None = None) -> Graph:
    outputs = [o for t in graph.tasks.values() for o in t.outputs]
    spec = spec or ReportSpec("summary", tuple(outputs), "build/report.md")
    tasks = dict(graph.tasks)
    tasks["summary"] = Task("summary", "summary", "report", tuple(outputs), (spec.output,), spec)
    return link(graph.agentfile, tasks)


def link(af: Agentfile, tasks: dict[str, Task]) -> Graph:
    producer = {o: t.id for t in tasks.values() for o in t.outputs}
    deps = {tid: tuple(sorted({producer[i] for i in t.inputs if i in producer})) for tid, t in tasks.items()}
    dependents: dict[str, list[str]] = {tid: [] for tid in tasks}
    for tid, ds in deps.items():
        for d in ds:
            dependents[d].append(tid)
    return Graph(af, tasks, deps, {k: tuple(v) for k, v in dependents.items()}, producer)


def write(root: Path, path: str, text: str, *, age: float = 0.0) -> None:
    """Write a file; `age` seconds in the past sets its mtime (so it is not racily clean)."""
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    if age:
        past = time.time() - age
        os.utime(target, (past, past))


def default_agent(task: Task, decision: Decision) -> dict[str, str]:
    return {out: f"[{task.id}] {decision.prompt}\n" for out in task.outputs}


class Builder:
    """Plays the scheduler: open the store, decide every task in order, act, record, close."""

    def __init__(self, root: Path, make_graph: Callable[[], Graph]) -> None:
        self.root = root
        self.make_graph = make_graph
        self.ran: list[str] = []
        self.saved: list[Path] = []
        self.hasher: Hasher | None = None
        self.rebuilder: Rebuilder | None = None

    def build(
        self, *, force: bool = False, agent: Callable[[Task, Decision], dict[str, str]] = default_agent
    ) -> dict[str, Decision]:
        self.ran = []
        graph = self.make_graph()
        with Store.open(self.root) as store:
            hasher = self.hasher = Hasher(self.root, store)
            rb = self.rebuilder = Rebuilder(graph, store, hasher, force=force)
            run_id = store.begin_run()
            decisions = {}
            for task in graph.tasks.values():
                d = rb.decide(task)
                decisions[task.id] = d
                self.saved += [store.save_edited(p) for p in d.edited]
                if d.action == "run":
                    self.ran.append(task.id)
                    for path, text in agent(task, d).items():
                        write(self.root, path, text)
                    outputs = {p: hash_path(self.root / p) for p in task.outputs}
                    rec = TaskRecord(task.id, d.key or "", d.parts, outputs, run_id=run_id)
                    store.record_success(rec, {p: self.root / p for p in task.outputs})
                elif d.action == "restore":
                    assert d.key is not None
                    outputs = store.cache_restore(d.key, self.root)
                    store.record_success(
                        TaskRecord(task.id, d.key, d.parts, outputs, run_id=run_id), {}, state="cached"
                    )
                else:
                    continue
                for path, digest in outputs.items():
                    hasher.note_written(path, digest)
            hasher.flush()
            store.end_run(run_id, {})
        return decisions
