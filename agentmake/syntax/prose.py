"""A prompt written bare in the Agentfile (`prompt = Summarize the file`): a bare value names a prompt
file, so prose there is read as a path (or as several). The hint that tells how to write it instead:

    quote_hint("prompt", "Summarize the file")
    == 'to write the prompt here, quote it: prompt = "Summarize the file" (a bare value names a prompt file)'
"""

from __future__ import annotations

from agentmake.lazyre import LazyPattern

PROMPT_KEYS = ("prompt", "merge")  # the keys whose bare value is a prompt file (an agent's, a report's)
_COLON = LazyPattern(r"\s*(prompt|merge)\s*:\s*")


def quote_hint(key: str, text: str, what: str = "prompt") -> str:
    """How to write `text`, a value as written, as the inline prompt (`what`) of `key`: a quoted string,
    its `"` and `\\` escaped (`${name}` in it stays a variable, as it was)."""
    quoted = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"to write the {what} here, quote it: {key} = {quoted} (a bare value names a {what} file)"


def written(line: str, col: int) -> str | None:
    """The value as written on `line` from 1-based column `col` to the end of the line or a comment (a `#`
    outside a quoted string), blanks around it dropped; None for a list or a triple-quoted string (which
    do not end on the line)."""
    rest = line[col - 1 :]
    if rest.startswith(("(", '"""')):
        return None
    quoted = False
    for i, ch in enumerate(rest):
        if ch == '"' and (i == 0 or rest[i - 1] != "\\"):
            quoted = not quoted
        elif ch == "#" and not quoted:
            rest = rest[:i]
            break
    return rest.strip() or None


def may_be_prose(word: str) -> bool:
    """Whether a bare word given as a prompt file that is not there may be meant as the prompt's text: it
    names no directory and has no extension (`Summarize`, not `prompts/a.md`)."""
    return "/" not in word and "." not in word.lstrip(".")


def colon_hint(line: str) -> str | None:
    """For a prompt key written with ':' (`prompt: Summarize the file`), the line as it should read: its
    prose quoted (`quote_hint`), a file path as it is (`write prompt = p.md`); None for another line."""
    m = _COLON.match(line)
    if m is None:
        return None
    value = written(line, m.end() + 1)
    if value is None:
        return f"write {m.group(1)} = …"
    if value.startswith('"') or not any(ch.isspace() for ch in value):
        return f"write {m.group(1)} = {value}"
    return quote_hint(m.group(1), value, "prompt" if m.group(1) == "prompt" else "merge prompt")
