"""`agentmake status` as a new user reads it: its columns line up whatever each task cost."""

from __future__ import annotations

from agentmake.display import render_status_text


def row(task: str, duration: float | None, cost: float | None) -> dict[str, object]:
    return {
        "task": task,
        "kind": "agent",
        "state": "up to date",
        "reasons": [],
        "outputs": [f"out/{task}.md"],
        "last_duration": duration,
        "last_cost": cost,
    }


def test_the_time_and_output_columns_line_up_with_and_without_a_cost() -> None:
    rows = [
        row("sum:a", 0.2, 0.000051),
        row("sum:b", 12.3, 0.0004),
        row("wc:a", 0.0, None),
        row("new", None, None),
    ]
    lines = render_status_text(rows).splitlines()[:4]
    time_ends = {
        line.index("s ", line.index(task) + len(task))
        for line, task in zip(lines[:3], ("sum:a", "sum:b", "wc:a"), strict=True)
    }
    assert len(time_ends) == 1, lines  # every duration ends in the same column
    starts = {
        line.index(f"out/{task}.md")
        for line, task in zip(lines, ("sum:a", "sum:b", "wc:a", "new"), strict=True)
    }
    assert len(starts) == 1, lines  # and every output starts in the same column


def test_a_task_id_of_wide_characters_keeps_the_columns_in_line() -> None:
    rows = [row("translate:日本語", 1.0, None), row("translate:abcdef", 1.0, None)]
    lines = render_status_text(rows).splitlines()[:2]
    cells = [
        sum(2 if "\u3000" <= ch <= "\u9fff" else 1 for ch in line[: line.index("1.0s")]) for line in lines
    ]
    assert cells[0] == cells[1], lines  # the same terminal column: a CJK character takes two
