"""(review29b) Under -v, a line of JSON nested beyond Python's recursion limit in a stream of events ended
the thread that shows the attempt's lines, with a traceback (and the lines after it were not shown)."""

from __future__ import annotations

from agentmake.runners.verbose import Shown


def test_a_line_nested_beyond_reason_is_shown_as_printed() -> None:
    deep = "[" * 5000 + "]" * 5000
    for shown in (Shown("claude", "claude-json"), Shown("gemini", "gemini-json", told=True)):
        assert shown(deep, False) == [deep]  # (as printed; it raised RecursionError)
    shown = Shown("gemini", None, told=True)
    assert shown("{" + '"a":{' * 3000 + "}" * 3001, True) == ["{" + '"a":{' * 3000 + "}" * 3001]
