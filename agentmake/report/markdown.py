"""One input file as Markdown for a report: nested Markdown, JSON findings as tables, other text fenced."""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable, Sequence
from typing import Any

from agentmake.display.fmt import md_table
from agentmake.safetext import term_safe, text_safe

FINDING_KEYS = ("findings", "issues", "results", "items", "problems", "errors", "warnings", "entries", "rows")
LANGUAGES = {
    ".py": "python", ".js": "javascript", ".ts": "typescript", ".sh": "sh", ".yaml": "yaml", ".yml": "yaml",
    ".toml": "toml", ".html": "html", ".css": "css", ".sql": "sql", ".go": "go", ".rs": "rust", ".c": "c",
    ".java": "java", ".rb": "ruby", ".xml": "xml", ".csv": "csv", ".diff": "diff", ".patch": "diff",
}  # fmt: skip
_ATX = re.compile(r"^( {0,3})(#{1,6})(?=[ \t]|$)")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
# the HTML blocks that end only at a marker, not at a blank line (CommonMark's kinds 1 to 5): a `<!--` with no
# `-->` goes on to the end of the document, hiding every section after it
_HTML_BLOCK = re.compile(
    r"^ {0,3}(?:<(pre|script|style|textarea)(?:[ \t>]|$)|<!--|<\?|<!\[CDATA\[|<![A-Za-z])", re.I
)
# lines that start a block other than a paragraph (a list item, a quote, HTML, a table row), or indented code
_NOT_PARAGRAPH = re.compile(r"^ {0,3}([-*+][ \t]|\d{1,9}[.)][ \t]|>|<|\|)|^( {4}|\t)")
_TABLE_DELIMITER = re.compile(
    r"^ {0,3}\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)+\|?[ \t]*$|^ {0,3}\|[ \t]*:?-+:?[ \t]*\|[ \t]*$"
)


def fence(text: str, lang: str = "") -> str:
    """A fenced code block whose fence is longer than any backtick run inside `text`."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    mark = "`" * max(3, longest + 1)
    return f"{mark}{lang}\n{text.rstrip(chr(10))}\n{mark}"


_HEADING_MARKS = re.compile(r"^(?:#{1,6}(?: |$))+")


def heading_text(text: str) -> str:
    """`text` as the text of one ATX heading (a report's title): on one line (every run of white space,
    line breaks included, is one space: a line break would end the heading and start a paragraph, or another
    heading, with the rest), without the heading marks it may start with (`## Notes` is the title "Notes",
    not "## Notes" under `#`), control characters escaped. Empty if nothing is left."""
    return term_safe(_HEADING_MARKS.sub("", " ".join(text.split())))


def code_span(text: str) -> str:
    """`text` as inline code on one line (line breaks become spaces), its delimiter longer than any backtick
    run inside it, control characters escaped: a file name or an agent's message shows as written."""
    text = term_safe(re.sub(r"\r\n|\r|\n", " ", text))
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    mark = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{mark}{pad}{text}{pad}{mark}"


def demote_headings(text: str, by: int = 2, rebase: Callable[[str], str] | None = None) -> str:
    """Push every heading down `by` levels (capped at 6), outside code fences; setext headings become ATX.
    As in CommonMark, a setext underline makes a heading of the whole paragraph above it (every line), and
    only of a paragraph: under a list item, a table row, a quote, HTML or indented code it is a rule. A code
    fence or an HTML block (`<!--`, `<pre>`...) left open is closed at the end: the text is one section of a
    report, and either would otherwise take every section after it (as code, or hidden). `rebase`, if given,
    rewrites each line of Markdown text (not of code or HTML): `rebase_links`."""
    out: list[str] = []
    in_fence: str | None = None
    in_html: str | None = None  # the marker that ends the HTML block being read (`-->`, `</pre>`...)
    para: int | None = None  # where in `out` the paragraph being read starts (None: not in one)
    in_table = False
    lines = text.splitlines()
    for line in lines:
        if in_html is None and in_fence is None and (html := _HTML_BLOCK.match(line)):
            in_html, para = html_end(html), None
        if in_html is not None:
            if in_html.lower() in line.lower():
                in_html = None
            out.append(line)
            continue
        fence_match = _FENCE.match(line)
        if in_fence is not None:
            if (
                fence_match
                and fence_match.group(1)[0] == in_fence[0]
                and len(fence_match.group(1)) >= len(in_fence)
            ):
                in_fence = None
            out.append(line)
            continue
        if fence_match:
            in_fence = fence_match.group(1)
            para = None
            out.append(line)
            continue
        if not line.strip():
            para, in_table = None, False
            out.append(line)
            continue
        setext = _SETEXT.match(line)
        if setext and para is not None:
            level = 1 if setext.group(1)[0] == "=" else 2
            heading = " ".join(part.strip() for part in out[para:])
            out[para:] = ["#" * min(level + by, 6) + " " + heading]
            para = None
            continue
        if para is not None and _TABLE_DELIMITER.match(line):
            para, in_table = None, True  # the line above was a table's header row
        atx = _ATX.match(line)
        if atx:
            level = min(len(atx.group(2)) + by, 6)
            line = "#" * level + line[atx.end() :]
            para = None
        elif in_table or setext:
            para = None
        elif para is None and not _NOT_PARAGRAPH.match(line):
            para = len(out)
        elif para is not None and _NOT_PARAGRAPH.match(line) and not line.startswith((" " * 4, "\t")):
            para = None  # a list, quote, HTML or table line interrupts a paragraph (indented code cannot)
        if rebase is not None and (para is not None or not line.startswith((" " * 4, "\t"))):
            line = rebase(line)  # (not indented code: a line indented 4 outside a paragraph)
        out.append(line)
    if in_fence is not None:  # a truncated answer must not turn the rest of the report into code
        out.append(in_fence)
    if in_html is not None:  # (nor hide it in a comment)
        out.append(in_html)
    return "\n".join(out)


# a link's or image's destination, `](dest` (`<dest>` too), and a link reference definition's, `[id]: dest`
_INLINE_DEST = re.compile(r"(\]\([ \t]*)(<[^<>\n]*>|[^\s()<>]+)")
_REF_DEST = re.compile(r"^( {0,3}\[[^\]]+\]:[ \t]*)(<[^<>\n]*>|\S+)")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_CODE_SPAN = re.compile(r"(`+)(?:.*?[^`])?\1(?!`)")


def rebase_links(path: str, to: str) -> Callable[[str], str] | None:
    """A line rewriter (for `demote_headings`) that makes the relative link and image destinations of the
    Markdown file `path` relative to the directory of `to` (the report it is included in), so that
    `![](fig.svg)` in `build/a.md` still shows `build/fig.svg` in a report written beside `build/`. URLs,
    absolute paths, anchors and code spans are left alone. None if both files are in the same directory."""
    base, there = posixpath.dirname(path), posixpath.dirname(to)
    if base == there:
        return None

    def dest(target: str) -> str:
        angled = target.startswith("<")
        inner = target[1:-1] if angled else target
        if not inner or inner.startswith(("/", "#", "?")) or _SCHEME.match(inner):
            return target
        cut = min((i for i in (inner.find("#"), inner.find("?")) if i >= 0), default=len(inner))
        rel = posixpath.relpath(posixpath.normpath(posixpath.join(base, inner[:cut])), there or ".")
        moved = rel + inner[cut:]
        return f"<{moved}>" if angled else moved

    def text(part: str) -> str:
        return _INLINE_DEST.sub(lambda m: m.group(1) + dest(m.group(2)), part)

    def line(text_line: str) -> str:
        ref = _REF_DEST.match(text_line)
        if ref:
            return ref.group(1) + dest(ref.group(2)) + text_line[ref.end() :]
        out, at = [], 0
        for span in _CODE_SPAN.finditer(text_line):  # (code is shown as written)
            out += [text(text_line[at : span.start()]), span.group(0)]
            at = span.end()
        return "".join([*out, text(text_line[at:])])

    return line


def html_end(start: re.Match[str]) -> str:
    """The marker that ends the HTML block `start` opens (`_HTML_BLOCK`)."""
    text = start.group(0).lstrip(" ")
    if start.group(1):
        return f"</{start.group(1)}>"
    return {"<!-": "-->", "<![": "]]>"}.get(text[:3], "?>" if text.startswith("<?") else ">")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=False)


def objects_table(items: Sequence[dict[str, Any]]) -> str:
    """A list of objects as a table: columns are the union of keys, in order of first appearance."""
    columns: list[str] = []
    for item in items:
        for key in item:
            if key not in columns:
                columns.append(key)
    return md_table(columns, [[_cell(item.get(c)) for c in columns] for item in items])


def _is_objects(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _table_keys(data: dict[str, Any]) -> list[str]:
    """The keys of `data` shown as tables, in its order: every list of objects, and an empty list under a
    findings name (e.g. `"findings": []`, which says there were none)."""
    return [k for k, v in data.items() if _is_objects(v) or (k in FINDING_KEYS and v == [])]


def json_markdown(data: Any) -> str:
    """Findings (a list of objects, or a dict holding such lists, e.g. under "findings" and "warnings") as
    tables, one per list, after a table of the dict's other values; else json."""
    if _is_objects(data):
        return objects_table(data)
    if isinstance(data, list) and not data:
        return "_(no entries)_"
    if isinstance(data, dict) and (keys := _table_keys(data)):
        scalars = {k: v for k, v in data.items() if k not in keys}
        parts: list[str] = []
        if scalars:
            parts.append(md_table(["key", "value"], [[k, _cell(v)] for k, v in scalars.items()]))
        for key in keys:
            found = data[key]
            parts.append(f"**{key}** ({len(found)})")
            parts.append(objects_table(found) if found else "_(no entries)_")
        return "\n\n".join(parts)
    return fence(json.dumps(data, indent=2, ensure_ascii=False), "json")


def section_body(path: str, text: str, report: str | None = None) -> str:
    """The Markdown body for one input file, chosen by its extension (and by whether JSON parses). Control
    characters of the text are shown escaped (`text_safe`), as in JSON's tables: people `cat` a report, and
    an answer that echoes a hostile document must not send their terminal its sequences. `report`: the
    path of the report it is included in, whose directory a Markdown file's relative links are rebased to."""
    lower = path.lower()
    if lower.endswith((".md", ".markdown")):
        rebase = rebase_links(path, report) if report is not None else None
        return demote_headings(text_safe(text), rebase=rebase).strip("\n")
    if lower.endswith(".json"):
        try:
            data = json.loads(text)
        except ValueError:
            return fence(text_safe(text), "json")
        return json_markdown(data)
    suffix = "." + lower.rsplit(".", 1)[-1] if "." in lower.rsplit("/", 1)[-1] else ""
    return fence(text_safe(text), LANGUAGES.get(suffix, ""))
