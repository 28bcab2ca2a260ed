"""Random histories at the store level, as builds write them (tasks run and paid, restored, salvaged, failed;
builds killed part-way, taken over, ended but killed before their line got out, `clean` saying what killed
builds paid; spend found in a killed build's logs as the next build takes it over, or a rejected salvaged
answer's as its task runs), with three reports over three different agents, each written in the first build:
what the reports say they cost, every write counted (a killed build's included), adds up to what the summary
lines and `clean` said was paid, once the last build writes them all. A report counting a killed build's
spend of another report's task (451f377), or a dollar it counted as written again later, fails it."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from agentmake.graph import build_graph
from agentmake.report.builtin import summary_tasks
from agentmake.report.summary import render_summary
from agentmake.store import AttemptRecord, Store
from agentmake.syntax import load_agentfile

AGENTS = "abc"
AGENTFILE = "".join(
    f'agent {x}:\n    inputs = docs/{x}.md\n    outputs = build/{x}.md\n    prompt = "hi"\n\n'
    f"report r{x}:\n    inputs = build/{x}.md\n    output = R{x}.md\n\n"
    for x in AGENTS
)
UNSUMMED = "SELECT run_id FROM runs WHERE ended_at IS NULL AND summed_by IS NULL AND run_id IS NOT ?"


def _cost_of(text: str) -> float:
    row = next(line for line in text.splitlines() if line.startswith("| cost "))
    return float(row.strip("|").split("|")[1].split()[0].lstrip("$"))


def _unsummed(store: Store, run: int | None) -> list[int]:
    return [int(r) for (r,) in store._conn.execute(UNSUMMED, (run,)).fetchall()]


class History:
    def __init__(self, root: Path, seed: int) -> None:
        self.root, self.rng = root, random.Random(seed)
        self.graph = build_graph(load_agentfile(root / "Agentfile"))
        self.reports: list[float] = []  # what each report written said it cost
        self.lines: list[float] = []  # what each summary line (or `clean`) said was paid
        self.clock = 0.0
        self.found_for: set[int] = set()  # (the killed builds taken over)

    def tick(self) -> float:
        self.clock += 1.0
        return self.clock

    def cost(self) -> float:
        return float(self.rng.randint(1, 9))

    def take_over(self, store: Store, run: int) -> None:
        """What the killed builds' attempts that wrote no row paid, found in their logs (`find_left`): once,
        by the first build after them, of a task that has no row in that build (nor its report: a report
        written after its task ran)."""
        for k in _unsummed(store, run):
            if k in self.found_for:
                continue
            self.found_for.add(k)
            rows = {a.task_id for a in store.attempts(k)}
            for x in AGENTS:
                if self.rng.random() < 0.3 and not rows & {x, f"r{x}"}:
                    store.record_found(k, x, [(self.tick(), f"{x}.1", self.cost(), None, None)])

    def build(self, n: int, final: bool) -> None:
        rng = self.rng
        with Store.open(self.root) as store:
            run = store.begin_run()
            self.take_over(store, run)
            kill_at = rng.randint(0, 7) if n and not final and rng.random() < 0.5 else None
            step, own = 0, []
            for x in AGENTS:
                ran = not final and (n == 0 or rng.random() < 0.6)
                if ran:
                    if step == kill_at:
                        return
                    step += 1
                    kind = rng.choice(["done", "done", "failed", "cached", "salvaged"])
                    extra = {"paid_earlier": True} if kind == "salvaged" else {}
                    state = "cached" if kind == "salvaged" else kind
                    row = AttemptRecord(run, x, state, self.tick(), self.tick(), 1, self.cost(), extra=extra)
                    store.record_attempt(row)
                    own.append(row)
                    if (
                        rng.random() < 0.2
                    ):  # (a rejected salvaged answer, found as the task ran: this build's)
                        store.record_found(run, x, [(self.tick(), f"{x}.2", self.cost(), None, None)])
                said_of_x = any(a.task_id == x for a in store.spend_unsummed(run))
                if (ran or said_of_x or final) and (final or n == 0 or rng.random() < 0.8):
                    if step == kill_at:
                        return
                    step += 1
                    report = f"r{x}"
                    tasks = summary_tasks(self.graph, report)
                    text = render_summary(self.graph, store, run, tasks, report=report)
                    self.reports.append(_cost_of(text))
                    store.record_attempt(AttemptRecord(run, report, "done", self.tick(), self.tick()))
            said = store.spend_unsummed(run) + store.found_in(run)
            paid = [a for a in own if a.state != "cached" or a.extra] + said
            summed = _unsummed(store, run)
            if not final and rng.random() < 0.2:  # ended, and killed before its line got out
                store.end_run(run, {"done": len(own)}, summed, said=False)
                return
            self.lines.append(sum(a.cost_usd or 0.0 for a in paid))
            store.end_run(run, {"done": len(own)}, summed)

    def clean(self) -> None:
        with Store.open(self.root) as store:
            self.lines.append(sum(a.cost_usd or 0.0 for a in store.spend_unsummed(None)))
            store.mark_summed(_unsummed(store, None), 0)


@pytest.mark.parametrize("builds", [3, 6, 12])
def test_the_reports_add_up_to_the_lines(tmp_path: Path, builds: int) -> None:
    for seed in range(20):
        root = tmp_path / str(seed)
        (root / "docs").mkdir(parents=True)
        (root / "Agentfile").write_text(AGENTFILE)
        for x in AGENTS:
            (root / "docs" / f"{x}.md").write_text(x)
        history = History(root, seed * 100 + builds)
        for n in range(builds + 1):
            history.build(n, final=n == builds)
            if 0 < n < builds and history.rng.random() < 0.25:
                history.clean()
        assert sum(history.reports) == pytest.approx(sum(history.lines)), (
            seed,
            history.reports,
            history.lines,
        )
