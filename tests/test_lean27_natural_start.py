"""A fan-out's equal tasks start in natural order (`src/2` before `src/10`), the order the display and the
summaries list them in: before, the ready queue broke ties by the graph's (string) order, 1, 10, 11, 2, 3.
Agents keep their declaration order, and a heavier (critical-path) task still goes first."""

from __future__ import annotations

from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E
from test_scheduler_fakes import Spec, make_graph

from agentmake.scheduler.ready import ReadyQueue, priority_keys

NUMBERS = ("1", "2", "3", "10", "11", "20", "100")
AGENTFILE = '''\
agent copy:
    inputs = src/{n}.txt
    outputs = out/{n}.txt
    prompt = """
        FAKE: label=copy{{ n }}
        {{ read(input) }}
        """
'''


def test_a_fan_out_starts_its_tasks_in_natural_order_at_j1(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    for n in NUMBERS:
        e2e.write(f"src/{n}.txt", f"{n}\n")
    e2e.write("Agentfile", AGENTFILE)
    run = e2e.am("-j", "1")
    assert run.code == 0, run
    assert e2e.calls() == [f"copy{n}" for n in NUMBERS]  # (before: 1, 10, 100, 11, 2, 20, 3)


def test_natural_order_breaks_ties_only_within_an_agent(tmp_path: Path) -> None:
    ids = ["z:10", "z:9", "a:2", "a:10", "a:1", "solo"]
    graph = make_graph(tmp_path, [Spec(i) for i in ids])
    weights = dict.fromkeys(ids, 1.0) | {"a:10": 2.0}  # heavier: first whatever its name
    ready = ReadyQueue(priority_keys(graph, weights))
    for task_id in ids:
        ready.push(task_id)
    # agents in declaration order (z before a), each agent's tasks in natural order
    assert [ready.pop() for _ in ids] == ["a:10", "z:9", "z:10", "a:1", "a:2", "solo"]
