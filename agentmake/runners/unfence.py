"""An answer that is one fenced code block, whole, becomes its content (`unfence`).

Asked for a document or a file, a model often wraps all of it in a fence (a line "```markdown", its text, a
line "```"; or "```json", "```python"). Taken as it came, a JSON output then began with the fence (it failed
its `check`, and the retry was paid for), a report read as one code block, a script would not run. The fence
around a single output's answer goes when all of these hold: the first line that is not blank opens it, with
no language or one that fits the output's suffix (`json` for .json, `markdown` or `md` for .md, `python` for
.py…); the last line that is not blank closes it; and something not blank is inside. Fences inside it that
open with a language are passed over with their closing lines (a Markdown document with code blocks in it,
wrapped in a fence of the same length: not valid Markdown, but what models write). Anything else (a line of
preamble, two blocks, a fence of another language) is left as the model wrote it. The attempt's log keeps the
answer as it came, whatever is done here.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

_OPEN = re.compile(rb"(`{3,}|~{3,})[ \t]*([A-Za-z0-9_+.#-]*)[ \t]*")
_ALIASES = {
    "md": {"markdown", "md"},
    "markdown": {"markdown", "md"},
    "txt": {"text", "txt", "plaintext"},
    "py": {"python", "py", "python3"},
    "js": {"javascript", "js"},
    "ts": {"typescript", "ts"},
    "sh": {"sh", "bash", "shell", "zsh"},
    "yml": {"yaml", "yml"},
    "yaml": {"yaml", "yml"},
    "rb": {"ruby", "rb"},
    "rs": {"rust", "rs"},
    "htm": {"html", "htm"},
}
CHUNK = 1 << 18


def fits(lang: str, output: str) -> bool:
    """Whether a fence's language (`lang`, may be empty) fits an output named `output`."""
    if not lang:
        return True
    suffix = PurePosixPath(output).suffix.lower().lstrip(".")
    return lang.lower() in _ALIASES.get(suffix, {suffix})


def unfence(path: Path, output: str) -> bool:
    """Rewrite the file at `path` (the staged answer for `output`: UTF-8, "\\n" line ends) as the content of
    the one fence that wraps all of it, if one does (see the docstring). Returns whether it did."""
    span = _inside(path, output)
    if span is None:
        return False
    start, end = span
    with open(path, "r+b") as fh:  # (shifted down in place: each write trails the read before it)
        read, written = start, 0
        while read < end:
            fh.seek(read)
            data = fh.read(min(CHUNK, end - read))
            if not data:
                break
            fh.seek(written)
            fh.write(data)
            read, written = read + len(data), written + len(data)
        fh.truncate(written)
        fh.flush()
        os.fsync(fh.fileno())
    return True


def _inside(path: Path, output: str) -> tuple[int, int] | None:
    """The byte offsets (first, past last) of what the fence wrapping the whole file holds, or None."""
    start = end = None
    fence = b""
    depth = 0  # inner fences opened with a language, not closed yet
    blank_inside = True
    pos = 0
    with open(path, "rb") as fh:
        for line in fh:
            at, pos = pos, pos + len(line)
            text = line.strip()
            if not text:
                continue
            if end is not None:
                return None  # (something after the closing fence)
            if start is None:
                m = _OPEN.fullmatch(text)
                if m is None or not fits(m.group(2).decode("ascii"), output):
                    return None
                fence, start = m.group(1), pos
                continue
            bare = text.strip(fence[:1]) == b"" and text[:1] == fence[:1] and len(text) >= 3
            if bare and depth:
                depth -= 1
            elif bare and len(text) >= len(fence):
                end = at
                continue
            elif text.startswith(fence[:1] * 3) and _OPEN.fullmatch(text):
                depth += 1
            blank_inside = False
    if start is None or end is None or blank_inside:
        return None
    return start, end
