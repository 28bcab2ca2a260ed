"""Agentfile text -> a flat list of raw statements (lark LALR), with lark's errors turned into
`AgentfileError`.

The parser builds no tree: the transformer of `grammar.py` turns each rule into the small named tuples of
`statements.py` (with line and column). lark is the one definition of the language; an unchanged file's
statements come from a cache keyed by its text (`parsecache.py`). `parse_hints.py` words what lark
reports. Everything semantic happens in `transform.py` and `specs.py`.
"""

from __future__ import annotations

import sys

from agentmake.errors import AgentfileError, Loc
from agentmake.syntax import parsecache
from agentmake.syntax.grammar import GRAMMAR_NAME as GRAMMAR_NAME
from agentmake.syntax.grammar import grammar_path as grammar_path
from agentmake.syntax.grammar import lark_parser
from agentmake.syntax.grammar import unquote as unquote
from agentmake.syntax.parse_hints import (
    KEY,
    NAME_RULE,
    UNQUOTED_INCLUDE,
    bad_name,
    describe,
    expected_words,
    left_list,
    state_expected,
    tab_hint,
    unindented_hint,
)
from agentmake.syntax.statements import Assign as Assign
from agentmake.syntax.statements import Block as Block
from agentmake.syntax.statements import Include as Include
from agentmake.syntax.statements import Item as Item
from agentmake.syntax.statements import Statement
from agentmake.syntax.statements import Value as Value


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
    cached = None if strict else parsecache.load(text, warm)
    if cached is not None:
        return cached
    from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    lines = _lines(text)

    def err(
        message: str, line: int, col: int, expected: list[str] | None = None, hint: str | None = None
    ) -> AgentfileError:
        src = lines[line - 1] if 0 < line <= len(lines) else None
        return AgentfileError(message, Loc(filename, line, col), expected or [], hint, src)

    parser = lark_parser(strict)
    try:
        statements = list(parser.parse(text))
        if not strict:
            parsecache.store(text, statements, warm)
    except AgentfileError as e:  # from the indenter
        line, col = (e.loc.line, e.loc.col) if e.loc else (1, 1)
        raise err(e.message, line, col, e.expected, hint=tab_hint(lines, line)) from None
    except UnexpectedToken as e:
        tok = e.token
        exp = state_expected(e)
        line, col = (tok.line or 1), (tok.column or 1)
        bad = bad_name(lines[line - 1]) if 0 < line <= len(lines) else None
        if bad is not None:
            raise err(bad[0], line, bad[1], [NAME_RULE], hint=bad[2]) from None
        if tok.type == "_INDENT":
            line = tok.end_line or line
            raise err(
                "unexpected indentation",
                line,
                len(str(tok)) + 1,
                ["the indentation of the line above it (a line of the same block)"],
                hint=tab_hint(lines, line)
                or unindented_hint(lines, line)
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
                "unexpected end of file", len(lines), len(lines[-1]) + 1 if lines else 1, expected_words(exp)
            ) from None
        if "WORD" in exp and "EQUAL" not in exp and tok.type in ("_NL", "_DEDENT"):
            raise err("expected a value after '='", line, col, ["a value"]) from None
        if exp == {"EQUAL"}:
            from agentmake.syntax.prose import colon_hint  # (only for this mistake)

            hint = colon_hint(lines[line - 1]) if tok.type == "COLON" and 0 < line <= len(lines) else None
            raise err(f"expected '=' after the key, not {describe(tok)}", line, col, ["'='"], hint) from None
        unquoted = UNQUOTED_INCLUDE.fullmatch(lines[line - 1]) if 0 < line <= len(lines) else None
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
                f"unexpected {describe(tok)}",
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
            if in_list and opened and KEY.fullmatch(before) and left_list(lines, opened.line, line):
                raise err(
                    "this '(' is never closed",
                    opened.line,
                    opened.column,
                    ["')'"],
                    f"line {line} reads as a new `key = value` line: close the list before it",
                ) from None
            raise err(
                "'=' cannot appear in a bare word",
                line,
                col,
                expected_words(exp),
                'quote the value: key = "a=b"',
            ) from None
        if tok.type == "LPAR" and in_list:
            raise err("lists cannot be nested", line, col, ["')'", "a value"]) from None
        if tok.type in ("LPAR", "RPAR") and "NAME" not in exp:
            raise err(
                f"a '(' list must be the whole value; unexpected {describe(tok)}",
                line,
                col,
                expected_words(exp - {"RPAR"}),
                'quote text that contains parentheses: key = "a (b)"',
            ) from None
        if "EQUAL" in exp and "COLON" in exp:
            raise err(
                f"unexpected {describe(tok)}",
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
            raise err(f"unexpected {describe(tok)}", line, col, expected) from None
        raise err(f"unexpected {describe(tok)}", line, col, expected_words(exp)) from None
    except UnexpectedCharacters as e:
        line, col = e.line, e.column
        bad = bad_name(lines[line - 1]) if 0 < line <= len(lines) else None
        if bad is not None:
            raise err(bad[0], line, bad[1], hint=bad[2]) from None
        pos = e.pos_in_stream or 0
        ch = text[pos] if pos < len(text) else ""
        before = text[: max(pos - 2, 0)]  # (an odd run of backslashes: `"a \\"""` closed a string at its
        escaped = (len(before) - len(before.rstrip("\\"))) % 2  # second quote, then left a `"` open)
        if ch == '"' and text[max(pos - 2, 0) : pos + 1] == '"""' and col > 2 and not escaped:
            # (read as `""`, then `"`)
            raise err('unterminated """ string', line, col - 2, ['a closing \'"""\'']) from None
        if ch == '"':
            raise err("unterminated string", line, col, ["a closing '\"'"]) from None
        if ch == "=":
            raise err(
                "'=' cannot appear in a bare word", line, col, [], 'quote the value: key = "a=b"'
            ) from None
        raise err(f"unexpected character {ch!r}", line, col, expected_words(set(e.allowed or ()))) from None
    except UnexpectedEOF as e:
        raise err("unexpected end of file", len(lines), 1, expected_words(set(e.expected))) from None
    except LarkError as e:  # anything else lark might raise: still an Agentfile mistake, never a traceback
        raise err(f"cannot parse: {e}", 1, 1) from None
    return statements
