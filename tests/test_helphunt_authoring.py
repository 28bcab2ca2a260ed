"""A first Agentfile's common mistakes, as `agentmake check` meets them: each located (file:line:col, the
line, a caret), with a hint that names the mistake, exit 2 and no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.cli import main


def check(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> list[str]:
    (tmp_path / "Agentfile").write_text(text)
    assert main(["-f", str(tmp_path / "Agentfile"), "check"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err.replace(f"{tmp_path}/", "").splitlines()


@pytest.mark.parametrize(
    ("text", "head", "hint"),
    [
        # a tab-indented line after space-indented ones: the tab is 8 columns, deeper than the block
        (
            "agent a:\n    outputs = o\n\trun = y\n",
            "Agentfile:3:2: error: unexpected indentation",
            "this line is indented with a tab (8 columns), others with spaces: indent with spaces only",
        ),
        # space-indented lines after a tab-indented first line: they match no block, the tab is to blame
        (
            "agent a:\n\toutputs = o\n    run = y\n",
            "Agentfile:3:5: error: this line's indentation matches no enclosing block",
            "line 2 is indented with a tab (8 columns), others with spaces: indent with spaces only",
        ),
    ],
)
def test_a_tab_among_spaces_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, head: str, hint: str
) -> None:
    out = check(tmp_path, capsys, text)
    assert out[0] == head and out[-1] == hint, out


def test_no_tab_hint_without_a_tab(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = check(tmp_path, capsys, "agent a:\n        outputs = o\n    run = y\n")
    assert "matches no enclosing block" in out[0] and not any("with a tab" in line for line in out), out
    out = check(tmp_path, capsys, "jobs = 2\n    retries = 3\n")
    assert out[-1] == "only the lines of a block are indented, under a `kind NAME:` header", out


def test_a_tab_in_another_block_is_not_blamed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "agent a:\n\toutputs = o\n\trun = y\nagent b:\n        outputs = p\n    run = y\n"
    out = check(tmp_path, capsys, text)
    assert out[0].startswith("Agentfile:6:5: error:") and not any("with a tab" in line for line in out), out


BODY = "\n    outputs = o\n    run = y\n"


@pytest.mark.parametrize(
    ("header", "col", "name", "spelling"),
    [
        ("agent my agent:", 7, "my agent", "`agent my_agent:`"),
        ("agent my.agent:", 7, "my.agent", "`agent my_agent:`"),
        ("agent 1st:", 7, "1st", "`agent _1st:`"),
        ("report my report:  # the digest", 8, "my report", "`report my_report:`"),
        ("agent é:", 7, "é", None),
    ],
)
def test_a_block_name_that_is_no_name_says_what_a_name_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], header: str, col: int, name: str, spelling: str | None
) -> None:
    """`agent my agent:` said "expected ':' at the end of the block header" (the colon is there), and
    `agent 1st:` "unexpected '1st:'", expecting a `key = value` line."""
    out = check(tmp_path, capsys, header + BODY)
    kind = header.split()[0]
    assert out[0] == f"Agentfile:1:{col}: error: {kind} name {name!r} is not a valid name", out
    assert out[2] == " " * (3 + col) + "^", out
    rule = "expected: a name: one word of letters, digits, '_' and '-', not starting with a digit or '-'"
    assert out[3] == rule, out
    hint = f"for example {spelling}" if spelling else "name it with letters (a-z, A-Z), digits, '_' and '-'"
    assert out[-1] == hint, out


def test_a_header_without_its_colon_is_still_told_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = check(tmp_path, capsys, "agent my_agent" + BODY)
    assert out[0] == "Agentfile:1:15: error: expected ':' at the end of the block header", out
