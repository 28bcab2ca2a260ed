"""Agentfile text -> a flat list of raw statements (lark LALR), with lark's errors turned into
`AgentfileError`.

The parser builds no tree: an embedded transformer turns each rule into small named tuples (with line and
column). lark is the one definition of the language; an unchanged file's statements come from a cache keyed
by its text (see `_cached`). Everything semantic happens in `transform.py` and `specs.py`.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from agentmake.errors import AgentfileError, Loc
from agentmake.lazyre import LazyPattern
from agentmake.userdirs import cache_dir

GRAMMAR_NAME = "agentfile.lark"


class Item(NamedTuple):
    """One value item: `kind` is "word", "string" or "triple"; `text` is unquoted (not yet
    `${}`-substituted)."""

    kind: str
    text: str
    line: int
    col: int
    end_line: int


class Value(NamedTuple):
    items: tuple[Item, ...]
    is_list: bool
    line: int
    col: int


class Assign(NamedTuple):
    key: str
    value: Value
    line: int
    col: int


class Include(NamedTuple):
    keyword: str
    path: Item
    line: int
    col: int


class Block(NamedTuple):
    kind: str
    name: str
    entries: tuple[Assign, ...]
    line: int
    col: int
    name_col: int


Statement = Assign | Include | Block


def grammar_path() -> Path:
    """The grammar as package data (wheel) or, in a source checkout, `<repo>/grammar/agentfile.lark`."""
    here = Path(__file__).resolve().parent
    packaged = here / GRAMMAR_NAME
    if packaged.is_file():
        return packaged
    return here.parent.parent / "grammar" / GRAMMAR_NAME


def _cache_file() -> str | bool:
    directory = cache_dir()
    return False if directory is None else os.path.join(directory, "agentfile-grammar.lark-cache")


def unquote(text: str) -> str:
    """A "quoted string" token's text: quotes dropped, escapes \\n \\t \\" \\\\ applied."""
    out: list[str] = []
    i, n = 1, len(text) - 1
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n:
            nxt = text[i + 1]
            out.append({"n": "\n", "t": "\t", '"': '"', "\\": "\\"}.get(nxt, "\\" + nxt))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _item(tok: Any) -> Item:
    if tok.type == "WORD":
        return Item("word", str(tok), tok.line, tok.column, tok.line)
    if tok.type == "TRIPLE":
        return Item("triple", str(tok)[3:-3], tok.line, tok.column, tok.end_line)
    return Item("string", unquote(str(tok)), tok.line, tok.column, tok.line)


@lru_cache(maxsize=2)
def _lark(strict: bool) -> Any:
    from lark import Lark, Transformer
    from lark.indenter import Indenter
    from lark.lexer import Token

    class Lines(Indenter):
        NL_type = "_NL"
        OPEN_PAREN_types = ["LPAR"]
        CLOSE_PAREN_types = ["RPAR"]
        INDENT_type = "_INDENT"
        DEDENT_type = "_DEDENT"
        tab_len = 8

        def handle_NL(self, token: Any) -> Iterator[Any]:
            if self.paren_level > 0:
                return
            yield token
            indent_str = token.rsplit("\n", 1)[1]
            indent = indent_str.count(" ") + indent_str.count("\t") * self.tab_len
            if indent > self.indent_level[-1]:
                self.indent_level.append(indent)
                yield Token.new_borrow_pos(self.INDENT_type, indent_str, token)
                return
            while indent < self.indent_level[-1]:
                self.indent_level.pop()
                yield Token.new_borrow_pos(self.DEDENT_type, indent_str, token)
            if indent != self.indent_level[-1]:
                line = token.end_line
                raise AgentfileError(
                    "this line's indentation matches no enclosing block", Loc("", line, len(indent_str) + 1)
                )

        def _process(self, stream: Any) -> Iterator[Any]:
            token = None
            self.open_tok = None
            for token in stream:
                if token.type == self.NL_type:
                    yield from self.handle_NL(token)
                else:
                    yield token
                if token.type == "LPAR":
                    self.open_tok = token
                    self.paren_level += 1
                elif token.type == "RPAR":
                    self.paren_level = max(self.paren_level - 1, 0)
            while len(self.indent_level) > 1 and token is not None:
                self.indent_level.pop()
                yield Token.new_borrow_pos(self.DEDENT_type, "", token)

    class Build(Transformer):
        def start(self, children: list[Any]) -> list[Any]:
            return children

        def value(self, children: list[Any]) -> Value:
            items = tuple(_item(t) for t in children)
            return Value(items, False, items[0].line, items[0].col)

        def paren_list(self, children: list[Any]) -> Value:
            items = tuple(_item(t) for t in children)
            line, col = (items[0].line, items[0].col) if items else (0, 0)
            return Value(items, True, line, col)

        def assignment(self, children: list[Any]) -> Assign:
            key, value = children
            if value.line == 0:  # empty list: locate it at the key
                value = Value((), True, key.line, key.end_column + 1)
            return Assign(str(key), value, key.line, key.column)

        def include(self, children: list[Any]) -> Include:
            kw, path = children
            return Include(str(kw), _item(path), kw.line, kw.column)

        def block(self, children: list[Any]) -> Block:
            kind, name, *entries = children
            return Block(str(kind), str(name), tuple(entries), kind.line, kind.column, name.column)

    return Lark(
        grammar_path().read_text(encoding="utf-8"),
        parser="lalr",
        lexer="contextual",
        postlex=Lines(),
        transformer=Build(),
        propagate_positions=strict,
        maybe_placeholders=False,
        cache=False if strict else _cache_file(),
        strict=strict,
    )


_TERMINALS = {
    "NAME": "a name",
    "EQUAL": "'='",
    "COLON": "':'",
    "LPAR": "'('",
    "RPAR": "')'",
    "WORD": "a value",
    "STRING": "a quoted string",
    "TRIPLE": "a value",
    "_NL": "end of line",
    "_INDENT": "an indented block of `key = value` lines",
    "_DEDENT": "end of the block",
    "$END": "end of file",
}


_KEY = LazyPattern(r"[\t\f ]*[A-Za-z_][A-Za-z0-9_-]*[\t\f ]*")  # what can stand before the '=' of a key
# an unquoted path (with the blanks after it: `[^#]*?[\t\f ]*` would be quadratic on a long run of blanks)
_INCLUDE = LazyPattern(r"([\t\f ]*include[\t\f ]+)([^\s\"#][^#]*)(?:#.*)?")


def _left_list(lines: list[str], opened: int, line: int) -> bool:
    """Whether a line after line `opened` (a '(' list's first), up to `line`, is indented no deeper than it:
    the lines of a list are indented under it, the next statement is not."""

    def indent(text: str) -> int:
        text = text.expandtabs(8)
        return len(text) - len(text.lstrip(" \f"))

    base = indent(lines[opened - 1])
    return any(t.strip() and not t.lstrip().startswith("#") and indent(t) <= base for t in lines[opened:line])


_HEADER = LazyPattern(r"((?:agent|report|runner)[\t\f ]+)([^:#]*?)[\t\f ]*:[\t\f ]*(?:#.*)?")
_NAME = LazyPattern(r"[A-Za-z_][A-Za-z0-9_-]*")


def _bad_name(line_text: str) -> tuple[str, int, str] | None:
    """When `line_text` is a block header whose name is no NAME (`agent my agent:`, `agent 1st:`), the
    message, the name's column and a hint giving the rule and a name that follows it; else None."""
    m = _HEADER.fullmatch(line_text)
    if m is None or not m[2] or _NAME.fullmatch(m[2]):
        return None
    kind, name = m[1].rstrip(), m[2]
    hint = "a name is one word of letters, digits, '_' and '-', not starting with a digit or '-'"
    fixed = re.sub(r"[^A-Za-z0-9_-]+", "_", name)
    if fixed.strip("_-"):  # (a name of other letters alone, `é`, has no such spelling to offer)
        hint += f": `{kind} {fixed if _NAME.fullmatch(fixed) else '_' + fixed}:`"
    return f"{kind} name {name!r} is not a valid name", len(m[1]) + 1, hint


_BLOCK_HEADER = LazyPattern(r"(agent|report|runner)[\t\f ]+([A-Za-z_][A-Za-z0-9_-]*)[\t\f ]*:")
_TOP_KEY = LazyPattern(r"([A-Za-z_][A-Za-z0-9_-]*)[\t\f ]*=")


def _unindented_hint(lines: list[str], line: int) -> str | None:
    """For an unexpected indentation at `line`: when the line above it (blank lines and comments aside) is a
    `key = value` at column 1 below a block's lines, that line lost its indentation and ended the block,
    which left this one outside any: say so (the error itself is at the line after the mistake)."""
    above = [
        n
        for n in range(line - 1, 0, -1)
        if lines[n - 1].strip() and not lines[n - 1].lstrip().startswith("#")
    ]
    if len(above) < 2:
        return None
    key = _TOP_KEY.match(lines[above[0] - 1])
    if key is None:
        return None
    for n in above[1:]:
        text = lines[n - 1]
        if not text[:1].isspace():  # the first unindented line above: the block's header, or not a block
            header = _BLOCK_HEADER.match(text)
            if header is None or n == above[1]:
                return None
            return (
                f"line {above[0]} (`{key.group(1)} = …`) is not indented, so it ended {header.group(1)} "
                f"{header.group(2)} and this line is in no block: indent line {above[0]} as the block's lines"
            )
    return None


def _tab_hint(lines: list[str], line: int) -> str | None:
    """For an indentation error at `line`: when its block (from the unindented line above it) indents some
    lines with a tab and others with spaces, say which line has the tab. A tab counts as 8 columns, whatever
    width an editor shows it at, so such a block reads as misaligned though it looks aligned."""
    start = line
    while start > 1:
        text = lines[start - 2] if start - 2 < len(lines) else ""
        start -= 1
        if text.strip() and not text[0].isspace() and not text.startswith("#"):
            break
    lead = {
        n: text[: len(text) - len(text.lstrip(" \t\f"))]
        for n, text in enumerate(lines[start - 1 : line], start)
        if text.strip() and not text.lstrip().startswith("#")
    }
    tabbed = [n for n, blanks in lead.items() if "\t" in blanks]
    if not tabbed or not any(" " in blanks for blanks in lead.values()):
        return None
    which = "this line is" if line in tabbed else f"line {tabbed[-1]} is"
    return f"{which} indented with a tab (8 columns), others with spaces: indent with spaces only"


def _expected(names: set[str]) -> list[str]:
    """Human words for the terminals in `names` (anything else is dropped)."""
    out: list[str] = []
    for name in sorted(names):
        text = _TERMINALS.get(name)
        if text is not None and text not in out:
            out.append(text)
    return out


def _lines(text: str) -> list[str]:
    """`text`'s lines as lark counts them: split at newlines only (not at form feeds, U+2028...), a CR
    before one dropped."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def parse_text(text: str, filename: str, strict: bool = False) -> list[Statement]:
    """Parse one Agentfile's text into statements; any mistake raises `AgentfileError` located in
    `filename`. `strict` builds lark with strict=True (checking the grammar) and bypasses the cache."""
    if not text.endswith("\n"):
        text += "\n"
    if "\x00" in text:  # no path, command or prompt can hold one; it would only fail later, far from here
        pos = text.index("\x00")
        line = text.count("\n", 0, pos) + 1
        col = pos - (text.rfind("\n", 0, pos) + 1) + 1
        src = _lines(text)[line - 1]
        message = "a NUL byte cannot appear in an Agentfile"
        raise AgentfileError(message, Loc(filename, line, col), [], None, src)
    # with lark not loaded yet, even a small file is worth a cache look-up: importing lark costs ~25 ms
    warm = "lark" in sys.modules
    cached = None if strict else _cached(text, warm)
    if cached is not None:
        return cached
    from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    lines = _lines(text)

    def err(
        message: str, line: int, col: int, expected: list[str] | None = None, hint: str | None = None
    ) -> AgentfileError:
        src = lines[line - 1] if 0 < line <= len(lines) else None
        return AgentfileError(message, Loc(filename, line, col), expected or [], hint, src)

    parser = _lark(strict)
    try:
        statements = list(parser.parse(text))
        if not strict:
            _store(text, statements, warm)
    except AgentfileError as e:  # from the indenter
        line, col = (e.loc.line, e.loc.col) if e.loc else (1, 1)
        raise err(e.message, line, col, hint=_tab_hint(lines, line)) from None
    except UnexpectedToken as e:
        tok = e.token
        exp = _state_expected(e)
        line, col = (tok.line or 1), (tok.column or 1)
        bad = _bad_name(lines[line - 1]) if 0 < line <= len(lines) else None
        if bad is not None:
            raise err(bad[0], line, bad[1], hint=bad[2]) from None
        if tok.type == "_INDENT":
            line = tok.end_line or line
            raise err(
                "unexpected indentation",
                line,
                len(str(tok)) + 1,
                hint=_tab_hint(lines, line)
                or _unindented_hint(lines, line)
                or "only the lines of a block are indented, under a `kind NAME:` header",
            ) from None
        if "RPAR" in exp and tok.type in ("_DEDENT", "$END"):
            opened = getattr(parser.options.postlex, "open_tok", None)
            if opened is not None:
                line, col = opened.line, opened.column
            raise err("this '(' is never closed before the end of file", line, col, ["')'"]) from None
        if "_INDENT" in exp:
            raise err(
                "expected an indented block after this header",
                line,
                col,
                ["an indented block of `key = value` lines"],
            ) from None
        if tok.type == "$END":
            raise err(
                "unexpected end of file", len(lines), len(lines[-1]) + 1 if lines else 1, _expected(exp)
            ) from None
        if "WORD" in exp and "EQUAL" not in exp and tok.type in ("_NL", "_DEDENT"):
            raise err("expected a value after '='", line, col, ["a value"]) from None
        if exp == {"EQUAL"}:
            from agentmake.syntax.prose import colon_hint  # (only for this mistake)

            hint = colon_hint(lines[line - 1]) if tok.type == "COLON" and 0 < line <= len(lines) else None
            raise err(f"expected '=' after the key, not {_describe(tok)}", line, col, ["'='"], hint) from None
        unquoted = _INCLUDE.fullmatch(lines[line - 1]) if 0 < line <= len(lines) else None
        if unquoted and col > len(unquoted[1]) and (exp == {"COLON"} or {"EQUAL", "STRING"} <= exp):
            raise err(
                "the path after `include` must be quoted",
                line,
                len(unquoted[1]) + 1,
                ["a quoted string"],
                'quote it: include "' + unquoted[2].rstrip("\t\f ") + '"',
            ) from None
        if "EQUAL" in exp and "STRING" in exp:
            raise err(
                f"unexpected {_describe(tok)}",
                line,
                col,
                ["'=' (a `key = value` line)", "a block header `kind NAME:`", 'include "FILE"'],
            ) from None
        in_list = getattr(parser.options.postlex, "paren_level", 0) > 0
        if tok.type == "EQUAL" and "EQUAL" not in exp:
            before = lines[line - 1][: col - 1] if 0 < line <= len(lines) else ""
            if not in_list and not before.strip():
                raise err("a key is missing before '='", line, col, ["a `key = value` line"]) from None
            opened = getattr(parser.options.postlex, "open_tok", None)
            if in_list and opened and _KEY.fullmatch(before) and _left_list(lines, opened.line, line):
                raise err(
                    "this '(' is never closed",
                    opened.line,
                    opened.column,
                    ["')'"],
                    f"line {line} reads as a new `key = value` line: close the list before it",
                ) from None
            raise err(
                "'=' cannot appear in a bare word", line, col, _expected(exp), 'quote the value: key = "a=b"'
            ) from None
        if tok.type == "LPAR" and in_list:
            raise err("lists cannot be nested", line, col, ["')'", "a value"]) from None
        if tok.type in ("LPAR", "RPAR") and "NAME" not in exp:
            raise err(
                f"a '(' list must be the whole value; unexpected {_describe(tok)}",
                line,
                col,
                _expected(exp - {"RPAR"}),
                'quote text that contains parentheses: key = "a (b)"',
            ) from None
        if "EQUAL" in exp and "COLON" in exp:
            raise err(
                f"unexpected {_describe(tok)}",
                line,
                col,
                ["'=' (a `key = value` line)", "a block header `kind NAME:`"],
            ) from None
        if "COLON" in exp:
            raise err("expected ':' at the end of the block header", line, col, ["':'"]) from None
        if exp <= {"NAME", "_NL", "_DEDENT", "$END"} or ("NAME" in exp and "EQUAL" not in exp):
            expected = ["a `key = value` line", "a block header", 'include "file"']
            if exp == {"NAME"}:  # the first line of a block
                expected = expected[:1]
            raise err(f"unexpected {_describe(tok)}", line, col, expected) from None
        raise err(f"unexpected {_describe(tok)}", line, col, _expected(exp)) from None
    except UnexpectedCharacters as e:
        line, col = e.line, e.column
        bad = _bad_name(lines[line - 1]) if 0 < line <= len(lines) else None
        if bad is not None:
            raise err(bad[0], line, bad[1], hint=bad[2]) from None
        pos = e.pos_in_stream or 0
        ch = text[pos] if pos < len(text) else ""
        if ch == '"':
            raise err("unterminated string", line, col, ["a closing '\"'"]) from None
        if ch == "=":
            raise err(
                "'=' cannot appear in a bare word", line, col, [], 'quote the value: key = "a=b"'
            ) from None
        raise err(f"unexpected character {ch!r}", line, col, _expected(set(e.allowed or ()))) from None
    except UnexpectedEOF as e:
        raise err("unexpected end of file", len(lines), 1, _expected(set(e.expected))) from None
    except LarkError as e:  # anything else lark might raise: still an Agentfile mistake, never a traceback
        raise err(f"cannot parse: {e}", 1, 1) from None
    return statements


_PARSE_CACHE_VERSION = "2"


def _cache_key(text: str) -> str | None:
    """Parsed statements are cached by the hash of the text, the grammar and this module: an unchanged
    Agentfile is not re-parsed (lark's LALR parser costs ~10 µs a token). Losing the cache only costs a
    parse."""
    cache = _cache_file()
    if not cache:
        return None
    import xxhash

    h = xxhash.xxh3_128()
    for part in (
        _PARSE_CACHE_VERSION,
        grammar_path().read_text(encoding="utf-8"),
        Path(__file__).read_text(encoding="utf-8"),
        text,
    ):
        h.update(part.encode("utf-8", "surrogatepass"))
    return os.path.join(os.path.dirname(str(cache)), "parsed", h.hexdigest() + ".pickle")


def _cached(text: str, warm: bool = True) -> list[Statement] | None:
    if warm and len(text) < 20_000:  # small files parse faster than a cache look-up pays off
        return None
    import pickle

    key = _cache_key(text)
    try:
        if key is None:
            return None
        with open(key, "rb") as fh:
            value = pickle.load(fh)
        return value if isinstance(value, list) else None
    except Exception:  # a missing or damaged cache entry is only a cache miss
        return None


def _store(text: str, statements: list[Statement], warm: bool = True) -> None:
    if warm and len(text) < 20_000:
        return
    import pickle

    key = _cache_key(text)
    if key is None:
        return
    try:
        os.makedirs(os.path.dirname(key), exist_ok=True)
        tmp = f"{key}.{os.getpid()}.{threading.get_ident()}.tmp"  # (watch parses in two threads)
        with open(tmp, "wb") as fh:
            pickle.dump(statements, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, key)
    except OSError:
        pass


def _state_expected(e: Any) -> set[str]:
    """The terminals the parser state accepts (the contextual lexer reports only what its own state could
    lex); the state's rule names (`assignment`, `__start_star_0`...) are left out."""
    try:
        names = set(e.state.parse_conf.states[e.state.position].keys())
    except AttributeError:
        names = set(e.expected)
    return {name for name in names if name.isupper()}  # lark: terminals are upper case, rules lower case


def _describe(tok: Any) -> str:
    if tok.type == "_NL":
        return "end of line"
    if tok.type in ("_DEDENT", "_INDENT"):
        return "indentation"
    return repr(str(tok))
