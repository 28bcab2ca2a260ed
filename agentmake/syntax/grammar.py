"""The lark parser of the Agentfile grammar (`agentfile.lark`): LALR with a contextual lexer, an indenter
for blocks, and a transformer that turns each rule straight into `statements` (no tree). lark is imported
when the parser is first built.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from agentmake.errors import AgentfileError, Loc
from agentmake.syntax.statements import Assign, Block, Include, Item, Value
from agentmake.userdirs import cache_dir

GRAMMAR_NAME = "agentfile.lark"


def grammar_path() -> Path:
    """The grammar as package data (wheel) or, in a source checkout, `<repo>/grammar/agentfile.lark`."""
    here = Path(__file__).resolve().parent
    packaged = here / GRAMMAR_NAME
    if packaged.is_file():
        return packaged
    return here.parent.parent / "grammar" / GRAMMAR_NAME


def grammar_cache_file() -> str | bool:
    """Where lark keeps the compiled grammar (`parsecache` keeps parsed statements beside it); False with no
    private cache directory."""
    directory = cache_dir()
    return False if directory is None else os.path.join(directory, "agentfile-grammar.lark-cache")


def _lark_cache() -> str | bool:
    """`grammar_cache_file` for lark's `cache=`, when it is this user's own file that no other may write
    (`cachefile.claimed`): lark loads the pickle it finds there, whoever wrote it, and writes it with the
    umask's mode (a new empty one, 0600, it reads as damaged, then fills in place); else False: no cache."""
    path = grammar_cache_file()
    if not path:
        return False
    from agentmake.cachefile import claimed

    return path if claimed(str(path)) else False


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
def lark_parser(strict: bool) -> Any:
    """The parser, built once per `strict` (strict: lark checks the grammar, and no cache is kept)."""
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
            levels = list(self.indent_level)  # (what this line may be indented as: a level still open)
            while indent < self.indent_level[-1]:
                self.indent_level.pop()
                yield Token.new_borrow_pos(self.DEDENT_type, indent_str, token)
            if indent != self.indent_level[-1]:
                line = token.end_line
                raise AgentfileError(
                    "this line's indentation matches no enclosing block",
                    Loc("", line, len(indent_str) + 1),
                    [
                        "the indentation of a line above it: "
                        + " or ".join(f"{n} spaces" if n else "none" for n in reversed(levels))
                    ],
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
        cache=False if strict else _lark_cache(),
        strict=strict,
    )
