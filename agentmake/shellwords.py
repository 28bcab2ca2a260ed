"""Where each placeholder of a shell command stands, and how a value is quoted there so that the shell reads
it back exactly, whatever characters it holds (`quote`).

A value is a file name or a wildcard taken from one: it may hold spaces, quotes, `$(...)`, backquotes, `;`
or a newline. `shlex.quote` is right only where the placeholder is a bare word (`cat {input}`). Written
inside quotes, as people often write a path (`cat "{input}"`), its quotes would close the author's and run
what follows: `"'$(rm -rf ~)'"` is a command substitution. So each placeholder is quoted for its place:

    cat {input}        ->  cat 'a b.txt'            (a bare word: shlex.quote)
    cat "{input}"      ->  cat "a \\$(x).txt"        (in "...": \\ $ ` " escaped)
    echo 'file {n}'    ->  echo 'file it'\\''s'      (in '...': ' written '\\'')

A list (`{inputs}`) inside quotes is one string, its words joined by spaces, as `"$*"` is.

The places are found by scanning the command as the shell would (`places`), with each placeholder standing
for a word character. A place whose text the shell reads some other way (a backquoted command, `${...}`,
`$((...))`, `$'...'`, a here-document, a comment, or right after a `$`), and every place after a construct
this scan does not follow (`case` inside `$(...)`, whose `)` ends no parenthesis), has no quoting that is
known to be exact: the placeholder is refused (`Unquotable`, with why), and the Agentfile check says so.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field

WORD, SINGLE, DOUBLE = "word", "single", "double"
MARK = "\x00"  # stands for a placeholder in the scanned text (no command can hold a NUL: argv cannot)
_BREAKS = " \t\n;&|()<>"  # after one of these (or at the start) a word begins
# Per kind of place, the characters its step only steps over (`_Scanner.run` skips a run of them at once). Not
# for `cmd` frames, whose words are looked at (`case`); in `top` ones a character after a break may start a
# comment or a here-document, so breaks, `#` and `<` are not skipped.
_PLAIN = {
    "single": re.compile(r"[^'\x00]*"),
    "double": re.compile(r'[^\\"`$\x00]*'),
    "top": re.compile(r"[^\x00\\'\"`$(){}#<\n \t;&|>]*"),
}


class Unquotable(ValueError):
    """A placeholder stands where no quoting of its value is known to be exact (the message says where)."""


def quote(place: str, words: Sequence[str]) -> str:
    """`words` (one value, or a list's paths) written for a placeholder at `place` (WORD, SINGLE or
    DOUBLE): the shell reads back each word (WORD) or the words joined by spaces (in quotes) exactly."""
    if place == SINGLE:
        return " ".join(words).replace("'", "'\\''")
    if place == DOUBLE:
        text = " ".join(words)
        return "".join("\\" + c if c in '\\$`"' else c for c in text)
    return " ".join(shlex.quote(w) for w in words)


@dataclass
class _Frame:
    """One open quoting or substitution context of the shell text being read."""

    kind: str  # "top", "cmd" ($(...)), "param" (${...}), "arith" ($((...))), "single", "double", "ansi", "bq"
    depth: int = 0  # open parentheses inside a `cmd` or `arith` frame
    words: list[str] = field(default_factory=list)  # (a `cmd` frame: the words seen, to notice `case`)


def places(text: str) -> tuple[str, ...]:
    """The place of each `MARK` in the shell command `text`, in order: WORD, SINGLE or DOUBLE, or the
    reason it has none (text starting with "in ", "after ", "right after " or "as ")."""
    found = _Scanner(text).run()
    assert len(found) == text.count(MARK), (text, found)  # (one place per placeholder, whatever the text)
    return tuple(found)


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text, self.i = text, 0
        self.stack = [_Frame("top")]
        self.heredocs: list[tuple[str, bool]] = []  # (delimiter, strip leading tabs) read at the next newline
        self.lost: str | None = None  # a construct this scan cannot follow: every later place is refused
        self.found: list[str] = []

    def run(self) -> list[str]:
        steps = {"single": self._single, "ansi": self._ansi, "double": self._double, "bq": self._backquoted}
        text, n = self.text, len(self.text)
        while self.i < n:
            frame = self.stack[-1]
            plain = _PLAIN.get(frame.kind)  # (characters that only move the scan on: skipped at once)
            if plain is not None:
                self.i = plain.match(text, self.i).end()  # type: ignore[union-attr]  # (`*`: always a match)
                if self.i >= n:
                    break
            steps.get(frame.kind, self._unquoted)(frame)
        return self.found

    def _mark(self, place: str) -> None:
        self.found.append(self.lost or place)
        self.i += 1

    def _escape(self) -> None:
        """At a backslash that escapes the next character: a placeholder there is refused (its value's
        first character would be escaped, not the author's backslash)."""
        if self.text[self.i + 1 : self.i + 2] == MARK:
            self.found.append(self.lost or "right after a \\ (it would escape the value's first character)")
        self.i += 2

    def _at(self, s: str) -> bool:
        return self.text.startswith(s, self.i)

    def _single(self, frame: _Frame) -> None:
        c = self.text[self.i]
        if c == MARK:
            return self._mark(SINGLE)
        if c == "'":
            self.stack.pop()
        self.i += 1

    def _ansi(self, frame: _Frame) -> None:
        c = self.text[self.i]
        if c == MARK:
            return self._mark("in a $'...' string")
        if c == "\\":
            if self.text[self.i + 1 : self.i + 2] == "'":  # (sh without $'...' ends the string there)
                self.lost = "after a $'...' string holding \\' (not every shell reads it alike)"
            return self._escape()
        if c == "'":
            self.stack.pop()
        self.i += 1

    def _double(self, frame: _Frame) -> None:
        c = self.text[self.i]
        if c == MARK:
            return self._mark(DOUBLE)
        if c == "\\":
            self._escape()
        elif c == '"':
            self.stack.pop()
            self.i += 1
        elif c == "`":
            self.stack.append(_Frame("bq"))
            self.i += 1
        elif c == "$":
            self._dollar(quoted=True)
        else:
            self.i += 1

    def _backquoted(self, frame: _Frame) -> None:
        c = self.text[self.i]
        if c == MARK:
            return self._mark("in a `...` command (write $(...) instead)")
        if c == "\\":
            return self._escape()
        if c == "`":
            self.stack.pop()
        self.i += 1

    def _dollar(self, quoted: bool) -> None:
        """At a `$`: what it opens, if anything."""
        nxt = self.text[self.i + 1 : self.i + 2]
        if nxt == MARK:
            self.found.append(self.lost or "right after a $ (it would read as a shell parameter)")
            self.i += 2
        elif self._at("$(("):
            self.stack.append(_Frame("arith"))
            self.i += 3
        elif nxt == "(":
            self.stack.append(_Frame("cmd"))
            self.i += 2
        elif nxt == "{":
            self.stack.append(_Frame("param"))
            self.i += 2
        elif nxt == "'" and not quoted:
            self.stack.append(_Frame("ansi"))
            self.i += 2
        else:
            self.i += 2 if nxt == "$" else 1  # (`$$` is the shell's pid, whatever follows)

    def _unquoted(self, frame: _Frame) -> None:
        """A `top`, `cmd`, `param` or `arith` frame: words, operators, quotes and substitutions."""
        text, i, c = self.text, self.i, self.text[self.i]
        starts_word = i == 0 or text[i - 1] in _BREAKS
        if c == MARK:
            where = {"param": "in a ${...} expansion", "arith": "in a $((...)) expression"}
            return self._mark(where.get(frame.kind, WORD))
        if c == "\\":
            self._escape()
        elif c == "'":
            self.stack.append(_Frame("single"))
            self.i += 1
        elif c == '"':
            self.stack.append(_Frame("double"))
            self.i += 1
        elif c == "`":
            self.stack.append(_Frame("bq"))
            self.i += 1
        elif c == "$":
            self._dollar(quoted=False)
        elif frame.kind == "param" and c == "}":
            self.stack.pop()
            self.i += 1
        elif frame.kind in ("cmd", "arith") and c in "()":
            frame.depth += 1 if c == "(" else -1
            self.i += 1
            if frame.depth < 0:
                self.stack.pop()
                if frame.kind == "arith":  # (`))`: the second closes the `$((` too)
                    if self._at(")"):
                        self.i += 1
                    else:
                        self.lost = "after a $((...)) this scan cannot tell the end of"
        elif c == "#" and starts_word and frame.kind in ("top", "cmd"):
            end = text.find("\n", i)
            end = len(text) if end < 0 else end
            self.found.extend("in a comment" for _ in range(text.count(MARK, i, end)))
            self.i = end
        elif c == "\n" and self.heredocs and frame.kind in ("top", "cmd"):
            self.i += 1
            self._heredoc_bodies()
        elif text.startswith("<<", i) and not text.startswith("<<<", i) and frame.kind in ("top", "cmd"):
            self._heredoc_operator()
        else:
            if frame.kind == "cmd" and starts_word and _word_at(text, i) == "case":
                self.lost = "after `case` inside $(...) (this scan cannot tell where it ends)"
            self.i += 1

    def _heredoc_operator(self) -> None:
        """At `<<` or `<<-`: read the delimiter word (a quoted one makes a literal body: the same here)."""
        text = self.text
        strip = text.startswith("<<-", self.i)
        self.i += 3 if strip else 2
        while self.i < len(text) and text[self.i] in " \t":
            self.i += 1
        start = self.i
        quote_char = ""
        while self.i < len(text):
            c = text[self.i]
            if quote_char:
                quote_char = "" if c == quote_char else quote_char
            elif c in "'\"":
                quote_char = c
            elif c in _BREAKS:
                break
            self.i += 1
        word = text[start : self.i]
        if MARK in word:
            self.found.extend("as a here-document's delimiter" for _ in range(word.count(MARK)))
            self.lost = self.lost or "after a here-document whose delimiter is a placeholder"
        self.heredocs.append((word.replace("'", "").replace('"', "").replace("\\", ""), strip))

    def _heredoc_bodies(self) -> None:
        """Just after the newline that ends a command with here-documents: skip their bodies."""
        text = self.text
        for delimiter, strip in self.heredocs:
            while self.i < len(text):
                end = text.find("\n", self.i)
                end = len(text) if end < 0 else end
                line = text[self.i : end]
                self.found.extend("in a here-document" for _ in range(line.count(MARK)))
                self.i = min(end + 1, len(text))
                if (line.lstrip("\t") if strip else line) == delimiter:
                    break
        self.heredocs = []


def _word_at(text: str, i: int) -> str:
    end = i
    while end < len(text) and text[end] not in _BREAKS and text[end] not in "'\"`$\\":
        end += 1
    return text[i:end]
