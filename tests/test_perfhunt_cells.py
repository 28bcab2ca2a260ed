"""md_cell's shortcut for a plain cell (returned as it is, unescaped) gives what the full escaping gives."""

from __future__ import annotations

import itertools

import pytest

from agentmake.display import fmt
from agentmake.safetext import text_safe


def slow_md_cell(value: object) -> str:
    """md_cell without the shortcut: every cell escaped the long way."""
    if value is None:
        return ""
    text = text_safe(str(value)).strip()
    out, last = [], 0
    for m in fmt._CODE_SPAN.finditer(text):
        out.append(fmt._plain_cell(text[last : m.start()]))
        out.append(m.group(0).replace("\n", " ").replace("|", "\\|"))
        last = m.end()
    out.append(fmt._plain_cell(text[last:]))
    return "".join(out)


PIECES = ["a", " ", "|", "\\", "&", "<", "`", "\n", "\r", "\t", "\x1b", "\x85", "\xa0", "\u3000", "\u202e",
          "\u2067", "\ud800", "\u200f", "é", "é"]  # fmt: skip


@pytest.mark.parametrize(
    "value", [None, 0, 1, 2.5, "", "copy:00001", "done", "0.1s", "$0.0012", " x ", "x\u3000"]
)
def test_common_cells(value: object) -> None:
    assert fmt.md_cell(value) == slow_md_cell(value)


def test_every_short_string_of_tricky_characters_is_escaped_as_before() -> None:
    for n in (1, 2, 3):
        for chars in itertools.product(PIECES, repeat=n):
            text = "".join(chars)
            assert fmt.md_cell(text) == slow_md_cell(text), repr(text)


def test_a_plain_cell_is_returned_as_it_is() -> None:
    assert fmt.PLAIN_CELL.fullmatch("copy:00001 ran in 0.1s")
    assert not fmt.PLAIN_CELL.fullmatch("a|b")
    assert not fmt.PLAIN_CELL.fullmatch("a ")
