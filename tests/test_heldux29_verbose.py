"""(heldux29) What `-v` shows of an attempt: plain text a JSON CLI printed is bounded in characters as well as
lines (a proxy's page on one line of 100,000 characters was printed whole: `verbose.WIDE`)."""

from __future__ import annotations

import io

from agentmake.runners.parsed import Parsed
from agentmake.runners.verbose import WIDE, tell_parsed


def test_a_huge_single_line_is_cut_saying_how_much() -> None:
    printed = "<html>" + "x" * 100_000 + "\nsecond line\n"
    out = io.StringIO()
    tell_parsed("t", Parsed(is_error=True, error="<html>xxx"), stream=out, stdout=printed)
    lines = out.getvalue().splitlines()
    assert lines[0] == "[t] error: <html>xxx", lines
    shown = "<html>" + "x" * (WIDE - 6)
    assert lines[1] == f"[t] {shown} … {100_006 - WIDE:,} more characters (in the attempt's log)", lines[1][
        -80:
    ]
    assert lines[2] == "[t] second line", lines
    assert len(lines) == 3, lines
