"""The files an Agentfile names, read once and recorded: sources and prompt or template files.

Each read notes the file's stat and content hash (`Reads`, see `Agentfile.reads`), so a later edit is seen;
a prompt file's text is refused when it would load another template. Declared paths lose their `./` here.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import time
from pathlib import Path
from typing import TYPE_CHECKING

import xxhash

from agentmake.model import Prompt
from agentmake.syntax.prose import PROMPT_KEYS, may_be_prose, quote_hint, written

if TYPE_CHECKING:
    from agentmake.syntax.transform import Field


def declared_path(word: str) -> str:
    """A declared path without its leading `./` (or `.//`: slashes after a `.` do not make it absolute)."""
    p = word
    while p.startswith("./"):
        p = p[2:].lstrip("/")
    return p


Reads = dict[str, tuple[int, int, int, int, str, int]]


def read_recorded(path: Path, reads: Reads, encoding: str = "utf-8") -> str:
    """`path` as text (universal newlines, like `Path.read_text`), noting in `reads` its stat from just before
    the read, the hash of the bytes read and when (see `Agentfile.reads`). Raises what `read_text` raises."""
    now = time.time_ns()
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):  # a device or a pipe would be read forever, or block
        raise OSError(errno.EINVAL, "not a regular file")
    data = path.read_bytes()
    digest = xxhash.xxh3_128_hexdigest(data)
    reads[str(path)] = (stat.S_IFMT(st.st_mode), st.st_size, st.st_mtime_ns, st.st_ino, digest, now)
    return decode_text(data, encoding)


def decode_text(data: bytes, encoding: str = "utf-8") -> str:
    """A source file's bytes as the loader reads them: decoded, with universal newlines (like `read_text`).
    Raises UnicodeDecodeError."""
    text = data.decode(encoding)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


class PromptFiles:
    """Reads prompt and template files relative to the project root, once each; remembers what it read."""

    def __init__(self, root: Path, reads: Reads | None = None) -> None:
        self.root = root
        self.texts: dict[str, str] = {}
        self.reads: Reads = {} if reads is None else reads

    def read(self, f: Field, what: str) -> tuple[str, str]:
        if f.bare and len(f.words) > 1 and f.key in PROMPT_KEYS:  # (prose written bare, `prompt = Do X`)
            raise f.error(
                f"{f.key} takes one value, not {len(f.words)}: bare words name a {what} file",
                [f"a {what} file", "a quoted prompt"],
                quote_hint(f.key, _as_written(f), what),
            )
        rel = declared_path(f.one())
        if rel not in self.texts:
            path = self.root / rel
            try:
                # a BOM is not part of the text, as in the Agentfile: else the agent is sent U+FEFF, and
                # an editor adding one on save reruns every task of the prompt
                self.texts[rel] = read_recorded(path, self.reads, "utf-8-sig")
            except FileNotFoundError:
                hint = f"paths are relative to {self.root}"
                named = _wildcard_in(rel) if f.key == "prompt" else None
                if named is not None:  # (`prompt = prompts/{name}.md`: a prompt per task, as outputs are)
                    hint = (
                        "a prompt file's path takes no wildcard: one prompt serves every task of the agent;"
                        f" write it once, and let it say what differs with {{{{ {named} }}}}"
                    )
                elif f.key in PROMPT_KEYS and may_be_prose(f.words[0]):
                    hint += f"; {quote_hint(f.key, f.words[0], what)}"
                raise f.error(f"{what} file '{rel}' not found", [f"an existing {what} file"], hint) from None
            except (OSError, UnicodeDecodeError) as e:
                raise f.error(f"cannot read {what} file '{rel}': {e}") from None
        return rel, self.texts[rel]

    def _is_file(self, rel: str) -> bool:
        try:
            return (self.root / declared_path(rel)).is_file()
        except (OSError, ValueError):  # (a text too long for a file name, or with a NUL: no file)
            return False

    def prompt(self, f: Field, what: str) -> Prompt:
        """A prompt (or merge prompt) from its file or inline text; an empty one is an error (an agent would
        be sent, and paid for, nothing)."""
        if f.bare:
            rel, text = self.read(f, what)
            if not text.strip():
                raise f.error(f"{what} file '{rel}' is empty", ["a prompt"])
            no_other_templates(f, what, rel, text)
            return Prompt(text, rel, f.loc)
        text = f.text()
        if not text.strip():
            raise f.error(f"the {what} is empty", ['"a prompt"', "a prompt FILE"])
        if len(f.words) == 1 and not any(c.isspace() for c in text) and self._is_file(text):
            # (a path quoted as other tools want it: the agent would be sent, and paid for, the path alone)
            raise f.error(
                f"the inline {what} '{text}' is the name of a file: a quoted value is the {what}'s text",
                [],
                f"to use the file, write its path unquoted: {f.key} = {text}",
            )
        no_other_templates(f, what, None, text)
        return Prompt(text, None, f.loc, f.line_offset)


_OTHER_TEMPLATE = re.compile(r"\{%[-+]?\s*(include|extends|import|from)\b")
_RAW = re.compile(r"\{%[-+]?\s*raw\s*[-+]?%\}.*?\{%[-+]?\s*endraw\s*[-+]?%\}", re.DOTALL)


def _as_written(f: Field) -> str:
    """The value of `f` as its line writes it (`prose.written`), else its words joined by spaces."""
    line = f.src.lines[f.line - 1] if 0 < f.line <= len(f.src.lines) else ""
    return written(line, f.col) or f.text()


def no_other_templates(f: Field, what: str, rel: str | None, text: str) -> None:
    """Refuse a template that would load another one: the other file would not be part of the task's key (an
    edit to it would leave the result stale), and no loader is configured (it failed at build time)."""
    if "{%" not in text:
        return
    bare = _RAW.sub(lambda r: "\n" * r.group().count("\n"), text)  # (literal text: a prompt about Jinja)
    m = _OTHER_TEMPLATE.search(bare)
    if m is not None:
        from agentmake.templates import other_templates, tag_error

        # what looks like one may be text (in a comment, a string): Jinja's syntax tree tells (a text
        # that does not parse keeps the first look's verdict)
        tags = other_templates(text)
        if tags == []:
            return
        tag, line = tags[0] if tags else (m.group(1), bare.count("\n", 0, m.start()) + 1)
        # located at the tag (the prompt's line, or an inline prompt's Agentfile line), said once
        prompt = Prompt(text, rel, f.loc, 0 if rel else f.line_offset)
        said = f"{{% {tag} %}} is not supported"
        err = tag_error(prompt, f"report template: {said}" if what == "template" else said, line, tag)
        err.hint = (
            "a template cannot use another file: put shared text in a variable, or make the file an input "
            "(a prompt reads it with {{ read('FILE') }})"
        )
        raise err


def _wildcard_in(rel: str) -> str | None:
    """The first `{name}` wildcard in a path (`prompts/{name}.md`: `name`), if it holds one."""
    m = re.search(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", rel)
    return m.group(1) if m else None
