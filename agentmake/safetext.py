"""Text made safe for a terminal line: what agentmake prints of file names, task ids and agents' messages.

Kept apart from `agentmake.display` (and importing nothing but `re` and `lazyre`) so that every printing path
can use it, including those that must stay light: a no-op build answered by the build stamp, error messages.

The patterns of what is escaped are compiled on first use (`lazyre`): their character classes reach into
Unicode, and compiling them cost about 1 ms of every start; a text that `str.isprintable` passes has none of
those characters (they are all control, format or surrogate code points, which it refuses), so most texts are
answered without them.
"""

from __future__ import annotations

import re

from agentmake.lazyre import LazyPattern

# C0 controls, DEL, C1 controls; and the bidirectional embeddings, overrides and isolates ("Trojan Source",
# CVE-2021-42574), which show a name in another order than its characters (`out/\u202etxt.exe` reads as
# `out/exe.txt`); the plain marks (LRM, RLM) that right-to-left text uses are left alone; and the lone
# surrogates that stand for the bytes of a name that is not UTF-8 (shown as those bytes, `\xff`)
_UNSAFE = LazyPattern(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# the same but for LF and tab (`text_safe`)
_UNSAFE_IN_TEXT = LazyPattern(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def term_safe(text: object) -> str:
    """`text` made safe for one line on a terminal: every C0 or C1 control character and DEL (escape, bell,
    newline, carriage return, tab, backspace...) is shown escaped, as `\\x1b`, `\\n`, `\\r`, `\\t`, so
    that a file name, a task id or an agent's message can neither send the terminal a control sequence
    (colours, the window title, the clipboard, moving the cursor) nor start a line of its own; and so is
    every bidirectional embedding, override or isolate (`\\u202e`), so that nothing shows in another order
    than it is; a byte of a name that is not UTF-8 is shown escaped too (`\\xff`). Everything else,
    backslashes included, is left as it is. For what is printed to a terminal, not for file contents or
    machine formats (JSON, DOT, Mermaid), which have their own escaping."""
    text = str(text)
    if text.isprintable() or _UNSAFE.search(text) is None:  # (nearly always)
        return text
    return _UNSAFE.sub(_escape, text)


def is_term_safe(text: str) -> bool:
    """Whether `term_safe(text)` is `text` (a check over a long string at once is cheap)."""
    return text.isprintable() or _UNSAFE.search(text) is None


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    if "\ud800" <= ch <= "\udfff":
        return _escape_surrogate(match)
    return _NAMED.get(ch) or (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")


_BREAK = re.compile(r"\r\n|\r|\n")


def text_safe(text: str) -> str:
    """`text` made safe for a text file that people read on a terminal (`status.md`, a report): as
    `term_safe`, but line breaks and tabs stay as they are (CR, alone or before LF, ends a line too), so
    that an agent's message copied into the file cannot send a terminal that shows it a control sequence
    when someone runs `cat status.md`."""
    if "\r" in text:
        text = _BREAK.sub("\n", text)
    if text.isprintable() or _UNSAFE_IN_TEXT.search(text) is None:
        return text
    return _UNSAFE_IN_TEXT.sub(_escape, text)


def term_lines(text: str) -> list[str]:
    """The lines of a message that is shown over several lines (an agent's error output), each made safe with
    `term_safe`: the line breaks (LF, CRLF, CR) stay line breaks, nothing else gets through. Not
    `splitlines()`, which also breaks at a form feed, a vertical tab, U+001C-U+001E, U+0085, U+2028 or
    U+2029: those would start a line of their own instead of being shown escaped."""
    if not text:
        return []
    lines = _BREAK.split(text)
    if lines[-1] == "":
        lines.pop()
    return [term_safe(line) for line in lines]


_SURROGATE = LazyPattern(r"[\ud800-\udfff]")


def utf8_safe(text: str) -> str:
    """`text` as UTF-8 can hold it: a lone surrogate, which is how Python gives a byte of a name or an
    argument that is not UTF-8 (`/home/caf\\xe9` in Latin-1), is written as the byte it stands for, escaped
    (`\\xe9`, as the warning about such a file name shows it; another surrogate as `\\ud800`). Text that
    UTF-8 holds is returned as it is."""
    if text.isascii() or _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub(_escape_surrogate, text)


def _escape_surrogate(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"
