"""Parser error messages: no grammar-internal names, the real culprit located, quoted lines and carets
that match the column."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.cli import main
from agentmake.errors import AgentfileError, Loc
from agentmake.syntax.grammar import lark_parser
from agentmake.syntax.parse_hints import _TERMINALS
from agentmake.syntax.parser import parse_text

RULES = {"start", "statement", "assignment", "include", "block", "value", "paren_list", "item"}


def parse_error(text: str) -> AgentfileError:
    with pytest.raises(AgentfileError) as info:
        parse_text(text, "Agentfile", strict=True)
    return info.value


def check(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> list[str]:
    """`agentmake check` on `text`: exit 2, no traceback; the rendered error's lines."""
    (tmp_path / "Agentfile").write_bytes(text.encode("utf-8"))
    assert main(["-C", str(tmp_path), "check"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err.split("\n")


def caret_under(rendered: list[str], head: str, char: str) -> None:
    """The caret line sits under `char` in the quoted line that follows the `head` line."""
    i = next(i for i, ln in enumerate(rendered) if head in ln)
    quoted, caret = rendered[i + 1], rendered[i + 2]
    assert caret.strip() == "^", rendered
    assert quoted[caret.index("^")] == char, rendered


@pytest.mark.parametrize(
    "text",
    ["= 1\n", "agent a:\n    (x)\n", "x = a)\n", "c = =\n", "x = (a b\n= 1\n", "agent a:\n    outputs\n"],
)
def test_expected_lists_name_no_grammar_rules(text: str) -> None:
    err = parse_error(text)
    assert err.expected, err.render()
    for entry in err.expected:
        assert not entry.startswith("_") and entry not in RULES, err.render()


def test_every_terminal_has_a_human_name() -> None:
    states = lark_parser(True).parser.parser.parser.parse_table.states
    terminals = {name for state in states.values() for name in state if name.isupper()}
    assert terminals <= set(_TERMINALS), terminals - set(_TERMINALS)


def test_missing_key_before_equals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = check(tmp_path, capsys, "jobs = 2\n= 1\n")
    assert "Agentfile:2:1: error: " in out[0] and "missing" in out[0] and "before '='" in out[0], out
    assert "cannot appear in a bare word" not in "\n".join(out)


def test_unclosed_paren_mid_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = check(tmp_path, capsys, 'x = (a b\nagent a:\n    run = "true"\n')
    assert "Agentfile:1:5: error: " in out[0] and "'(' is never closed" in out[0], out
    assert out[1] == "    x = (a b" and out[2] == "        ^", out
    assert "expected: ')'" in out
    assert "line 3" in "\n".join(out)


def test_equals_in_a_multiline_list_is_still_a_bare_word() -> None:
    err = parse_error("x = (\n    a\n    b=c\n)\n")
    assert err.loc == Loc("Agentfile", 3, 6) and "cannot appear in a bare word" in err.message


@pytest.mark.parametrize("path", ["x.af", "foo", "profiles/x.Agentfile", "./x.af"])
def test_unquoted_include_path(tmp_path: Path, capsys: pytest.CaptureFixture[str], path: str) -> None:
    out = check(tmp_path, capsys, f"jobs = 1\ninclude {path}\n")
    text = "\n".join(out)
    assert "Agentfile:2:9: error: " in out[0] and "quoted" in out[0], text
    assert f'include "{path}"' in text and "block header" not in text, text


def test_tab_caret_lands_under_the_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = check(tmp_path, capsys, "agent a:\n\toutputs = o\n\trun = y\n\tretries = \tx\n")
    caret_under(out, "Agentfile:4:13: error: ", "x")
    err = AgentfileError("m", Loc("f", 1, 4), source_line="\t\tab\n")
    caret_under(err.render().split("\n"), "f:1:4: error: m", "b")


def test_tab_dedent_reports_the_character_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = check(tmp_path, capsys, "agent a:\n\t\toutputs = x\n\trun = y\n")
    assert "Agentfile:3:2: error: this line's indentation matches no enclosing block" in out[0], out
    caret_under(out, "Agentfile:3:2", "r")


def test_tab_stray_indentation_column() -> None:
    err = parse_error("jobs = 2\n\t\tretries = 3\n")
    assert err.loc == Loc("Agentfile", 2, 3) and "unexpected indentation" in err.message


@pytest.mark.parametrize("sep", ["\f", "\v", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\r"])
def test_quoted_line_splits_on_newline_only(sep: str) -> None:
    err = parse_error(f'# a{sep}b\nx = "c{sep}d"\nc = =\n')
    assert err.loc == Loc("Agentfile", 3, 5) and err.source_line == "c = =", err.render()
    err = parse_error(f"# a{sep}b\nc = \x00\n")
    assert err.loc == Loc("Agentfile", 2, 5) and err.source_line == "c = \x00", err.render()


def test_quoted_line_of_a_crlf_file() -> None:
    err = parse_error("a = 1\r\nc = =\r\n")
    assert err.loc == Loc("Agentfile", 2, 5) and err.source_line == "c = =", err.render()


def test_quoted_line_read_from_the_file(tmp_path: Path) -> None:
    """Lines are counted as the loader counts them (it reads with universal newlines: a lone CR ends a line,
    a form feed does not), since the location was numbered by the loader."""
    (tmp_path / "Agentfile").write_bytes(b'\xef\xbb\xbfx = "a\x0cb" # c\rd\r\ny = 2\r\n')
    err = AgentfileError("m", Loc(str(tmp_path / "Agentfile"), 3, 5))
    lines = err.render().split("\n")
    assert lines[1] == "    y = 2" and lines[2] == "        ^", lines
    err = AgentfileError("m", Loc(str(tmp_path / "Agentfile"), 1, 1))
    assert err.render().split("\n")[1] == '    x = "a b" # c', err.render()


def test_control_characters_in_the_quoted_line_keep_the_caret_aligned() -> None:
    err = AgentfileError("m", Loc("f", 1, 8), source_line='x = "\u2028\x0c" y\n')
    lines = err.render().split("\n")
    assert lines[1:] == ['    x = "  " y', "           ^"], lines


def test_paren_opening_a_block_line() -> None:
    err = parse_error("agent a:\n    (x)\n")
    assert err.loc == Loc("Agentfile", 2, 5) and err.message == "unexpected '('", err.render()
    assert err.expected == ["a `key = value` line"] and err.hint is None, err.render()


def test_a_shell_variable_written_as_a_substitution_says_how_to_write_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`${HOME}` in a `run` is read as an Agentfile variable: the error says how a shell command reads it."""
    text = 'agent a:\n    outputs = o.txt\n    run = "echo ${HOME} > {output}"\n'
    rendered = check(tmp_path, capsys, text)
    assert rendered[0].endswith("Agentfile:3:17: error: unknown variable 'HOME'")
    assert "write $HOME (or $${{HOME}}) for the environment's HOME in a command" in "\n".join(rendered)
