"""Every listed Agentfile mistake: the right location, message, expectation/hint, and exit 2 through
the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.cli import main
from agentmake.errors import AgentfileError
from agentmake.syntax.load import load_agentfile

OK_AGENT = "agent ok:\n    outputs = ok.txt\n    run = touch {output}\n"


def fail(tmp_path: Path, text: str, files: dict[str, str] | None = None) -> AgentfileError:
    for rel, content in (files or {}).items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(content)
    (tmp_path / "Agentfile").write_text(text)
    with pytest.raises(AgentfileError) as info:
        load_agentfile(tmp_path / "Agentfile", strict=True)
    return info.value


# (name, Agentfile text, line, col, substring of the message, substring of expected/hint or None)
CASES = [
    ("missing colon", "agent a\n    outputs = x\n", 1, 8, "expected ':'", "':'"),
    ("no indented block", "agent a:\noutputs = x\n", 2, 1, "indented block", "indented block"),
    ("stray indentation", "jobs = 2\n    retries = 3\n", 2, 5, "unexpected indentation", None),
    ("bad dedent", "agent a:\n        outputs = x\n    run = y\n", 3, 5, "indentation", None),
    ("missing value", "agent a:\n    outputs =\n", 2, 14, "expected a value", "a value"),
    ("equals in word", "agent a:\n    run = x --opt=1\n", 2, 18, "'=' cannot appear", "quote the value"),
    ("unterminated string", 'lang = "abc\n', 1, 8, "unterminated string", "closing"),
    # (a triple quote left open was read as `""` then a `"` left open: the caret under its third quote)
    (
        "unterminated triple-quoted string",
        'agent a:\n    prompt = """\n        hi\n    outputs = o.md\n',
        2,
        14,
        'unterminated """ string',
        'a closing \'"""\'',
    ),
    # (an escaped quote then the closing one, `\\""`, and a third `"`: a plain `"` left open)
    ("escaped quote, then one too many", 'lang = "say \\"hi\\"""\n', 1, 20, "unterminated string", "closing"),
    ("unclosed list", "agent a:\n    inputs = (a b\n", 2, 14, "never closed", "')'"),
    ("nested list", "agent a:\n    inputs = (a (b))\n", 2, 17, "nested", None),
    ("lone word", "hello\n", 1, 6, "unexpected", "a `key = value` line"),
    (
        "unknown block kind",
        "agnet a:\n    outputs = x\n",
        1,
        1,
        "unknown block kind 'agnet'",
        "did you mean 'agent'",
    ),
    (
        "unknown key",
        "agent a:\n    ouputs = x\n    run = y\n",
        2,
        5,
        "unknown key 'ouputs'",
        "did you mean 'outputs'",
    ),
    ("duplicate key", "agent a:\n    outputs = x\n    outputs = y\n", 3, 5, "set twice", "line 2"),
    (
        "unknown runner",
        'agent a:\n    outputs = x\n    prompt = "p"\n    runner = claud\n',
        4,
        14,
        "unknown runner 'claud'",
        "did you mean 'claude'",
    ),
    ("unknown settings runner", "runner = gemeni\n" + OK_AGENT, 1, 10, "unknown runner 'gemeni'", "gemini"),
    ("unknown base", "runner r:\n    base = codx\n", 2, 12, "unknown runner 'codx'", "did you mean 'codex'"),
    ("runner without command", "runner mine:\n    model = m\n", 1, 8, "needs a command", "presets"),
    ("bad format", "runner r:\n    base = claude\n    format = jsn\n", 3, 14, "unknown output format", None),
    (
        "unknown variable",
        "lang = zh\nagent a:\n    outputs = out/${lnag}.md\n    run = y\n",
        3,
        19,
        "unknown variable 'lnag'",
        "did you mean 'lang'",
    ),
    ("variable used before assignment", "x = ${y}\ny = 1\n", 1, 5, "unknown variable 'y'", "assigned later"),
    (
        "unknown variable in triple",
        'agent a:\n    outputs = x\n    prompt = """\n        hi\n        ${who}\n"""\n',
        5,
        9,
        "unknown variable 'who'",
        None,
    ),
    ("duplicate agent", OK_AGENT + OK_AGENT, 4, 7, "duplicate name 'ok'", None),
    (
        "agent and report share names",
        OK_AGENT + "report ok:\n    output = r.md\n",
        4,
        8,
        "duplicate name 'ok'",
        "namespace",
    ),
    (
        "output declared twice",
        OK_AGENT + "agent b:\n    outputs = ok.txt\n    run = y\n",
        5,
        15,
        "output 'ok.txt' is already declared by 'ok'",
        "one producer",
    ),
    (
        "unbound wildcard",
        "agent a:\n    inputs = src/{name}.c\n    outputs = out/{nme}.o\n    run = y\n",
        3,
        15,
        "wildcard '{nme}'",
        "did you mean 'name'",
    ),
    (
        "wildcard constraint",
        "agent a:\n    inputs = src/{name:.*}.c\n    outputs = o\n    run = y\n",
        2,
        14,
        "bad wildcard",
        "not supported",
    ),
    (
        "missing prompt file",
        "agent a:\n    outputs = x\n    prompt = prompts/nope.md\n",
        3,
        14,
        "prompt file 'prompts/nope.md' not found",
        None,
    ),
    (
        "both prompt and run",
        'agent a:\n    outputs = x\n    prompt = "p"\n    run = y\n',
        1,
        7,
        "both `prompt` and `run`",
        None,
    ),
    ("neither prompt nor run", "agent a:\n    outputs = x\n", 1, 7, "neither `prompt` nor `run`", None),
    ("no outputs", 'agent a:\n    prompt = "p"\n', 1, 7, "declares no outputs", "outputs ="),
    ("bad integer", "jobs = four\n", 1, 8, "jobs must be an integer", "an integer"),
    ("zero jobs", "jobs = 0\n", 1, 8, "at least 1", None),
    (
        "bad duration",
        "agent a:\n    outputs = x\n    run = y\n    timeout = 5x\n",
        4,
        15,
        "must be a duration",
        "5m",
    ),
    ("zero timeout, global", "timeout = 0\n", 1, 11, "timeout must be longer than 0", "above 0"),
    # a duration in words: said to be no duration, with the forms one is written in (not "takes one value")
    (
        "duration in words",
        "agent a:\n    outputs = x\n    run = y\n    timeout = 5 minutes\n",
        4,
        15,
        "timeout must be a duration, not '5 minutes'",
        "5m",
    ),
    ("duration in words, global", "backoff = 2 seconds\n", 1, 11, "not '2 seconds'", "30s"),
    (
        "zero timeout of an agent",
        "agent a:\n    outputs = x\n    run = y\n    timeout = 0ms\n",
        4,
        15,
        "to have no limit, leave timeout out",
        "above 0",
    ),
    ("zero timeout of a runner", "runner claude:\n    timeout = 0s\n", 2, 15, "longer than 0", None),
    (
        "bad boolean",
        "report r:\n    inputs = a\n    output = r.md\n    summary = maybe\n",
        4,
        15,
        "true or false",
        None,
    ),
    ("unknown default", OK_AGENT + "default = okk\n", 4, 11, "unknown target 'okk'", "did you mean 'ok'"),
    ("report without output", "report r:\n    inputs = a\n", 1, 8, "declares no output", None),
    ("report without inputs", "report r:\n    output = r.md\n", 1, 8, "declares no inputs", None),
    (
        "report with empty inputs",
        "report r:\n    inputs = ()\n    output = r.md\n",
        2,
        12,
        "declares no inputs",
        None,
    ),
    (
        "run agent with llm runner",
        "agent a:\n    outputs = x\n    run = y\n    runner = claude\n",
        4,
        14,
        "always uses the shell runner",
        None,
    ),
    (
        "reserved wildcard",
        "agent a:\n    inputs = {input}.c\n    outputs = o\n    run = y\n",
        2,
        14,
        "reserved",
        None,
    ),
    (
        "two values for one",
        'agent a:\n    outputs = x\n    prompt = "p"\n    runner = a b\n',
        4,
        14,
        "takes one value",
        None,
    ),
]


@pytest.mark.parametrize(
    ("name", "text", "line", "col", "message", "extra"), CASES, ids=[c[0] for c in CASES]
)
def test_error_location_and_message(
    tmp_path: Path, name: str, text: str, line: int, col: int, message: str, extra: str | None
) -> None:
    err = fail(tmp_path, text)
    assert err.loc is not None, err.render()
    assert (err.loc.line, err.loc.col) == (line, col), err.render()
    assert message in err.message, err.render()
    if extra is not None:
        assert extra in " ".join([*err.expected, err.hint or ""]), err.render()
    rendered = err.render()
    assert f"Agentfile:{line}:{col}: error: " in rendered.splitlines()[0]
    assert rendered.splitlines()[2] == "    " + " " * (col - 1) + "^"


def test_include_loop(tmp_path: Path) -> None:
    (tmp_path / "b.Agentfile").write_text('include "Agentfile"\n')
    err = fail(tmp_path, 'jobs = 1\ninclude "b.Agentfile"\n')
    assert "include loop" in err.message and err.loc is not None
    assert err.loc.file.endswith("b.Agentfile") and err.loc.line == 1 and err.loc.col == 9


def test_missing_include(tmp_path: Path) -> None:
    err = fail(tmp_path, 'include "nope.Agentfile"\n')
    assert "not found" in err.message and err.loc is not None and err.loc.line == 1


def test_error_in_included_file_is_located_there(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub/inc.Agentfile").write_text("\n\nagent a:\n    outptus = x\n")
    err = fail(tmp_path, 'include "sub/inc.Agentfile"\n')
    assert err.loc is not None and err.loc.file.endswith("inc.Agentfile") and err.loc.line == 4
    assert "outptus = x" in err.render()


def test_missing_template_file(tmp_path: Path) -> None:
    err = fail(tmp_path, "report r:\n    inputs = a\n    output = r.md\n    template = t.j2\n")
    assert "template file 't.j2' not found" in err.message


def test_cli_exit_2_with_rendered_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "Agentfile").write_text('agent a:\n    outputs = x\n    prompt = "p"\n    runner = claud\n')
    assert main(["-C", str(tmp_path), "check"]) == 2
    err = capsys.readouterr().err
    assert ":4:14: error: unknown runner 'claud'" in err
    assert "    runner = claud" in err and "did you mean 'claude'?" in err


def test_bad_override_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "Agentfile").write_text(OK_AGENT)
    assert main(["-C", str(tmp_path), "check", "jobs=x"]) == 2
    assert "command line jobs=x" in capsys.readouterr().err
