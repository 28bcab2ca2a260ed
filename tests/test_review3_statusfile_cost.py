"""status.md is Markdown, as a report is: a task's cost there is said in full (`usd`, since ux27 the one rule
of every place that shows money), as a report's rows say $0.000024 (review3)."""

from __future__ import annotations

from agentmake.display import statusfile


def test_a_tiny_cost_is_said_in_full_in_status_md() -> None:
    row = statusfile._Task(state="done", cost=0.000024).format_row("t")
    assert "$0.000024" in row and "<" not in row, row
