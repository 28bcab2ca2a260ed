"""Per-task display work cut (issue #4): a Markdown cell's plain check without a call per character, an
empty cell at once, a line's description and cap change skipped when there is nothing to say, and the
summary's slowest tasks found without the natural sort key of every task."""

from __future__ import annotations

import io
import random

import pytest

from agentmake.display.base import SLOWEST, _duration, slowest, summary_lines
from agentmake.display.fmt import _MARKUP, is_plain_cell, md_cell
from agentmake.display.plain import PlainDisplay, cap_change, describe
from agentmake.natorder import natural_key
from agentmake.scheduler.events import BuildResult, TaskEvent, TaskOutcome


@pytest.mark.parametrize("ch", _MARKUP)
def test_each_markup_character_makes_a_cell_not_plain(ch: str) -> None:
    assert is_plain_cell("ab") and not is_plain_cell(f"a{ch}b") and not is_plain_cell(ch)
    if ch != "`":  # (a lone backtick opens no code span: left as it is, by the pattern's way)
        assert md_cell(f"a{ch}b") != f"a{ch}b"


@pytest.mark.parametrize(("value", "cell"), [("", ""), (None, ""), ("   ", ""), (" a|b ", "a\\|b"), (0, "0")])
def test_md_cell_of_empty_and_blank_values(value: object, cell: str) -> None:
    assert md_cell(value) == cell


def test_describe_and_cap_change_say_nothing_of_a_plain_start_but_do_of_a_retry() -> None:
    assert describe(TaskEvent("a", "running", 1.0, 1, 3)) == ""
    assert cap_change(TaskEvent("a", "running", 1.0, 1, 3)) is None
    assert describe(TaskEvent("a", "running", 1.0, 2, 3)) == "attempt 2/3"
    event = TaskEvent("a", "retrying", 1.0, 1, 3, message="boom", action="cap for claude lowered to 2")
    assert cap_change(event) == "cap for claude lowered to 2"
    out = io.StringIO()
    display = PlainDisplay(out, start=0.0)
    display(event)
    display.flush()
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and lines[1].endswith("rate limit  cap for claude lowered to 2"), lines


def _outcomes(count: int, seed: int) -> list[TaskOutcome]:
    rng = random.Random(seed)
    outs = []
    for i in rng.sample(range(count), count):
        took = rng.choice([1.0, 2.0, 3.0, 3.0])  # (many ties: their order is the ids' natural order)
        outs.append(TaskOutcome(f"t{i}", "done", started_at=10.0, ended_at=10.0 + took, runs=[(0.0, took)]))
    return outs


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("n", [0, 1, SLOWEST, 50, 200])
def test_slowest_is_the_head_of_the_full_sort(seed: int, n: int) -> None:
    outs = _outcomes(120, seed)
    full = sorted(outs, key=lambda o: (-_duration(o), natural_key(o.task_id)))
    assert slowest(outs, n) == full[:n]


def test_summary_of_a_big_fan_out_lists_the_slowest_in_start_order() -> None:
    outs = _outcomes(100, 7)
    result = BuildResult(1, {o.task_id: o for o in outs})
    rows = [line.split()[0] for line in summary_lines(result)[2:-1]]
    full = sorted(outs, key=lambda o: (-_duration(o), natural_key(o.task_id)))[:SLOWEST]
    assert rows == sorted((o.task_id for o in full), key=natural_key)
