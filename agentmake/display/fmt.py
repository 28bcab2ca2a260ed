"""Small formatting helpers shared by the displays, status.md and reports: durations, costs, table cells; and
(from `agentmake.safetext`) text made safe for a terminal line."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from agentmake.lazyre import LazyPattern
from agentmake.safetext import is_term_safe as is_term_safe  # (re-exported for the displays)
from agentmake.safetext import term_lines as term_lines
from agentmake.safetext import term_safe as term_safe
from agentmake.safetext import text_safe
from agentmake.scheduler.summary import usd as usd  # (re-exported: the display names it from here)


def cell_width(text: str) -> int:
    """The terminal columns `text` takes: a wide character (CJK, most emoji) two, a combining mark none."""
    cells = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        cells += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return cells


def ljust_cells(text: str, width: int) -> str:
    """`text` padded to `width` terminal columns (`cell_width`: `str.ljust` counts characters, which shifts
    every column after a wide one)."""
    return text + " " * max(width - cell_width(text), 0)


def cut_middle(text: str, width: int) -> str:
    """`text` in at most `width` terminal columns (`cell_width`): whole if it fits, else its start and its
    end around an ellipsis, the end given the odd column. Of a long task id this keeps what tells apart the
    tasks of one fan-out, which differ at the end:

        cut_middle("translate_documents:a_very_long_document_name_12", 21) == "translate_…nt_name_12"
    """
    if (len(text) <= width and text.isascii()) or cell_width(text) <= width:
        return text
    if width < 2:
        return "…"[:width]
    tail = "".join(reversed(_cells(reversed(text), width // 2)))  # (of the width - 1 left, the odd column)
    head = "".join(_cells(iter(text), width - 1 - cell_width(tail)))
    return f"{head}…{tail}"


def _cells(chars: Iterable[str], width: int) -> list[str]:
    """The first characters of `chars` that fit in `width` terminal columns."""
    taken: list[str] = []
    used = 0
    for ch in chars:
        used += 0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
        if used > width:
            break
        taken.append(ch)
    return taken


SYMBOLS = {
    "pending": "·",
    "waiting": "…",
    "running": "▶",
    "retrying": "↻",
    "done": "✓",
    "failed": "✗",
    "cached": "⚡",
    "up-to-date": "=",
    "not-run": "–",
    "interrupted": "⏹",
}

# states after which a task does nothing more in this build
FINISHED = frozenset({"done", "failed", "cached", "up-to-date", "not-run", "interrupted"})
ACTIVE = frozenset({"running", "retrying"})
_WORDS = {"up-to-date": "up to date", "not-run": "not run"}


def state_words(state: str) -> str:
    """A task state as people read it: `up to date`, `not run` (the events' `up-to-date`, `not-run`)."""
    return _WORDS.get(state, state)


def message_shown(state: str, message: str) -> str:
    """What a task's state-change line shows of its event's message, made safe for a terminal: for a task not
    run, the whole message on that line (it names the tasks and files that kept it from running, any of which
    may hold a newline: its first line alone would show `sum:a` of `sum:a<LF>b failed`,
    and nothing else shows it); for any other state its first line (a failure's whole message is shown
    with the failures at the end)."""
    text = message.strip()
    if state == "not-run":
        return term_safe(text)
    lines = term_lines(text)
    return lines[0] if lines else ""


def fmt_duration(seconds: float | None) -> str:
    """`0.4s`, `12.3s`, `2m05s`, `1h02m`; empty for None."""
    if seconds is None:
        return ""
    seconds = max(seconds, 0.0)
    if seconds < 60:
        return f"{seconds:.1f}s"
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{(whole % 3600) // 60:02d}m"


def fmt_cost(cost: float | None, places: int | None = None) -> str:
    """A cost as `usd` says it everywhere (a table's cell too, `places` its column's); empty for None."""
    return "" if cost is None else usd(cost, places)


def fmt_tokens(tokens_in: int | None, tokens_out: int | None) -> str:
    if tokens_in is None and tokens_out is None:
        return ""
    return f"{tokens_in or 0:,} in / {tokens_out or 0:,} out"


_CODE_SPAN = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)
# a cell md_cell leaves as it is: none of what it escapes (`\\`, `|`, `&`, `<`, a code span's backtick), nor
# what `text_safe` does (control and bidirectional characters: `cat status.md` must not run an escape sequence
# in a file's name), nor space at either end (stripped)
_CHANGED = r"\\|&<`\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
# (compiled on first use: its classes reach into Unicode, about 0.8 ms of every start; `is_plain_cell`
# answers most cells without it)
PLAIN_CELL = LazyPattern(rf"[^{_CHANGED}\s](?:[^{_CHANGED}]*[^{_CHANGED}\s])?")
_MARKUP = ("\\", "|", "&", "<", "`")  # (the printable characters of _CHANGED)


def is_plain_cell(text: str) -> bool:
    """Whether `PLAIN_CELL` matches the whole of `text`. A text `str.isprintable` passes holds none of the
    control, format and surrogate code points of `_CHANGED`, and no whitespace but the space: it is plain
    unless it holds one of `_MARKUP` or starts or ends with a space; any other text is asked of the
    pattern."""
    if not text:
        return False
    if text.isprintable() and text[0] != " " and text[-1] != " ":  # (`_MARKUP`, written out: no call a cell)
        return not ("\\" in text or "|" in text or "&" in text or "<" in text or "`" in text)
    return PLAIN_CELL.fullmatch(text) is not None


def md_cell(value: object) -> str:
    """One Markdown table cell: `|` escaped, newlines as `<br>`, control characters escaped (`text_safe`:
    a file read on a terminal), None empty. Backslashes are doubled and `&`, `<` written as entities (so the
    text shows as written) except inside code spans, where Markdown takes them literally; a newline there is
    a space (an HTML break would show as text)."""
    if value is None:
        return ""
    text = str(value)
    if not text:  # (an empty cell: no cost, no tokens)
        return ""
    if is_plain_cell(text):  # (nearly every cell: a task id, a state, a time)
        return text
    text = text_safe(text).strip()
    out, last = [], 0
    for m in _CODE_SPAN.finditer(text):
        out.append(_plain_cell(text[last : m.start()]))
        out.append(m.group(0).replace("\n", " ").replace("|", "\\|"))  # (GFM: a pipe needs it even in code)
        last = m.end()
    out.append(_plain_cell(text[last:]))
    return "".join(out)


def _plain_cell(text: str) -> str:
    # `&` and `<` as entities: a value such as "use <b>" or an HTML error page is text, not markup to render
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "<br>")


def md_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A GitHub-flavoured Markdown table (header, separator, rows), every cell escaped."""
    lines = ["| " + " | ".join(md_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [md_cell(c) for c in row] + [""] * (len(header) - len(row))
        lines.append("| " + " | ".join(cells[: len(header)]) + " |")
    return "\n".join(lines)


def agent_name(task_id: str) -> str:
    """The agent/report name of a task id (`review:intro` -> `review`)."""
    return task_id.split(":", 1)[0]
