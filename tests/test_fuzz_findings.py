"""Regressions found by fuzzing the Agentfile through the CLI (`agentmake -n`, `check`, a build): a broken
Agentfile gets `file:line:col`, the line and a caret, exit 2, never a traceback, and changes nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agentmake.cli import main


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))


def project(tmp_path: Path, agentfile: str | bytes, files: dict[str, str] | None = None) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    for rel, text in (files or {}).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    data = agentfile.encode() if isinstance(agentfile, str) else agentfile
    (root / "Agentfile").write_bytes(data)
    return root


def listing(root: Path) -> set[str]:
    return {os.path.relpath(os.path.join(d, n), root) for d, ds, fs in os.walk(root) for n in ds + fs}


UNDEFINED_NAME = """\
agent up:
    outputs = notes.md
    run = "echo paid-for > {output}"

agent down:
    inputs = notes.md
    outputs = summary.md
    prompt = "Summarise {{ read(input) }} in {{ langauge }}"
"""


@pytest.mark.parametrize("args", [[], ["-n"], ["check"]])
def test_an_undefined_name_in_a_prompt_stops_the_build_before_any_task(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    """`check` refused it; a build ran `up` (an agent paid for) and then failed `down` with exit 1, writing
    the state; `-n` said both would run."""
    root = project(tmp_path, UNDEFINED_NAME)
    before = listing(root)
    code = main(["-C", str(root), *args])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "/proj/Agentfile:8:49: error: inline prompt: undefined name: 'langauge'" in err
    assert listing(root) == before  # nothing ran: no notes.md, no .agentmake/


DEEP = "{{ " + "(" * 300 + "x" + ")" * 300 + " }}"


@pytest.mark.parametrize(
    ("agentfile", "files", "where"),
    [
        (f'agent t:\n    outputs = o.md\n    prompt = "{DEEP}"\n', {}, "Agentfile:3:"),
        ("agent t:\n    outputs = o.md\n    prompt = p.md\n", {"p.md": f"Hello\n{DEEP}\n"}, "p.md:2:"),
        (
            "report r:\n    inputs = in/*.md\n    output = o.md\n    template = t.md\n",
            {"t.md": f"# T\n\n{DEEP}\n"},
            "t.md:3:",
        ),
        (f'agent t:\n    outputs = o.md\n    prompt = "{"{{" * 200}"\n', {}, "Agentfile:3:"),
    ],
)
@pytest.mark.parametrize("args", [[], ["-n"], ["check"]])
def test_a_template_nesting_too_deep_is_a_located_error_not_a_traceback(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    agentfile: str,
    files: dict[str, str],
    where: str,
    args: list[str],
) -> None:
    """Jinja's recursive parser raised RecursionError (a traceback, exit 1) for brackets nested ~80 deep."""
    root = project(tmp_path, agentfile, files)
    before = listing(root)
    code = main(["-C", str(root), *args])
    err = capsys.readouterr().err
    assert code == 2, err
    head = err.split("\n")[0]
    assert (
        (head.startswith(where) or f"/proj/{where}" in head) and "nest too deeply" in head and "^" in err
    ), err
    assert listing(root) == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("include x" + " " * 30_000 + "y\n", "the path after `include` must be quoted"),
        ('timeout = "1' + " " * 30_000 + 'x"\n', "timeout must be a duration"),
        (
            'agent a:\n    outputs = o\n    run = "x"\n    timeout = "5' + " \t" * 15_000 + '!"\n',
            "a duration",
        ),
    ],
)
def test_a_long_run_of_blanks_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    """Two regexes backtracked quadratically over a run of blanks: 20,000 spaces took 6 s to refuse, 40,000
    took 24 s (the unquoted-include hint and the duration pattern). How the time grows with the run is
    measured by `benchmarks/bench_blanks.py` (no timed unit tests); this checks what is said."""
    root = project(tmp_path, text)
    code = main(["-C", str(root), "check"])
    err = capsys.readouterr().err
    assert code == 2 and message in err, err[:300]


def test_the_unquoted_include_hint_quotes_the_path_without_its_trailing_blanks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path, "include common.Agentfile   # shared\n")
    assert main(["-C", str(root), "check"]) == 2
    err = capsys.readouterr().err
    assert ":1:9: error: the path after `include` must be quoted" in err
    assert 'quote it: include "common.Agentfile"\n' in err, err


@pytest.mark.parametrize(
    ("line", "escaped"),
    [("\x1b[31m", "\\x1b[31m"), ("\u202e", "\\u202e"), ("\x07\x7f", "\\x07\\x7f"), ("\x9b", "\\x9b")],
)
def test_the_caret_stays_under_the_column_when_the_line_shows_escaped_controls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, escaped: str
) -> None:
    """The shown line has each control character escaped (`\\x1b`: four characters for one); the caret was
    placed by the unescaped line, so it pointed that many columns too far left."""
    root = project(tmp_path, f'x = "a{line}b" )\n')
    assert main(["-C", str(root), "check"]) == 2
    err = capsys.readouterr().err.split("\n")
    assert err[1] == f'    x = "a{escaped}b" )', err
    assert err[2] == " " * err[1].index(")") + "^", err


def test_a_graph_error_after_a_lone_cr_quotes_the_line_it_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The loader ends a line at a lone CR (universal newlines), so the location counts it; the quoted line
    was read back splitting at newlines only: the caret sat under `run = ...`, one line below `outputs`."""
    text = (
        "# notes\r# more notes\nagent t:\n    inputs = docs/{n}.md\n    outputs = out.md\n"
        '    run = "cp {input} {output}"\n'
    )
    root = project(tmp_path, text, {"docs/a.md": "a\n", "docs/b.md": "b\n"})
    assert main(["-C", str(root), "check"]) == 2
    err = capsys.readouterr().err.split("\n")
    assert err[0].endswith("Agentfile:5:15: error: 'out.md' is produced by both 't:a' and 't:b'"), err
    assert err[1:3] == ["        outputs = out.md", " " * 18 + "^"], err


@pytest.mark.parametrize("sep", ["\f", "\v", "\x1c", "\x85", "\u2028", "\u2029"])
def test_a_prompt_error_quotes_its_line_as_jinja_counts_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sep: str
) -> None:
    """Jinja ends a line at a newline only; the quoted line (and the line of an undefined name) was found
    with `splitlines()`, which also splits at a form feed or U+2028: the wrong line, or a number one too
    far."""
    agentfile = "agent t:\n    outputs = o.md\n    prompt = p.md\n"
    root = project(tmp_path, agentfile, {"p.md": f"page one{sep}page two\n{{{{ x\n"})
    assert main(["-C", str(root), "check"]) == 2
    err = capsys.readouterr().err.split("\n")
    assert err[0].startswith("p.md:2:1: error: template syntax error"), err
    assert err[1] == "    {{ x", err
    (root / "p.md").write_text(f"a{sep}b\n{{{{ nope }}}}\nthird\n")
    assert main(["-C", str(root), "check"]) == 2
    err = capsys.readouterr().err.split("\n")
    assert err[0] == "p.md:2:4: error: undefined name: 'nope' is undefined", err
    assert err[1:3] == ["    {{ nope }}", "       ^"], err


@pytest.mark.parametrize(
    ("data", "loc", "shown", "byte"),
    [
        (b'a = 1\nb = "caf\xe9"\n', "Agentfile:2:9", '    b = "caf\ufffd"', "byte 0xe9 is"),
        (b"\xef\xbb\xbfa = 1\r\n# \xe2\x82\r\n", "Agentfile:2:3", "    # \ufffd", "bytes 0xe2 0x82 are"),
        (b"\xff", "Agentfile:1:1", "    \ufffd", "byte 0xff is"),
    ],
)
def test_an_agentfile_that_is_not_utf8_is_located_at_its_first_bad_byte(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes, loc: str, shown: str, byte: str
) -> None:
    """It was `error: cannot read Agentfile: 'utf-8' codec can't decode byte 0xe9 in position 13: invalid
    continuation byte`: no line or column (a byte offset instead), no line, no caret."""
    root = project(tmp_path, data)
    assert main(["-C", str(root), "check"]) == 2
    err = capsys.readouterr().err.split("\n")
    assert err[0].endswith(f"{loc}: error: the file is not UTF-8 text: {byte} not a UTF-8 character"), err
    assert err[1] == shown and err[2] == " " * (int(loc.rsplit(":", 1)[1]) + 3) + "^", err


def test_an_included_file_that_is_not_utf8_is_located_in_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path, 'include "more.Agentfile"\n')
    (root / "more.Agentfile").write_bytes(b"x = 1\ny = \xff\n")
    assert main(["-C", str(root), "check"]) == 2
    err = capsys.readouterr().err
    assert "more.Agentfile:2:5: error: the file is not UTF-8 text: byte 0xff is" in err, err


def test_a_long_chain_of_runner_bases_loads_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Runners were built recursively, base first: a chain of ~1,000 `base =` links was a RecursionError."""
    n = 3000
    chain = (
        "".join(f"runner r{i}:\n    base = r{i + 1}\n" for i in range(n))
        + f"runner r{n}:\n    base = claude\n"
    )
    root = project(tmp_path, chain + 'agent a:\n    outputs = o.md\n    prompt = "p"\n    runner = r0\n')
    assert main(["-C", str(root), "check"]) == 0, capsys.readouterr().err
    loop = chain.replace(f"base = r{n}\n", "base = r1500\n", 1)  # r2999's base: r1500
    (root / "Agentfile").write_text(loop)
    assert main(["-C", str(root), "check"]) == 2
    err = capsys.readouterr().err
    assert (
        "error: runners are each other's base: r1500 -> r1501 -> " in err and " -> r2999 -> r1500\n" in err
    ), err


@pytest.mark.parametrize("spelling", [".//", "././/", ".///./"])
def test_a_path_spelt_with_dot_slash_slash_stays_in_the_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], spelling: str
) -> None:
    """`.//notes.md` is `notes.md`; dropping only the `./` made it `/notes.md`: an output was refused as
    outside the project, and an input was read from the root of the file system."""
    agentfile = (
        f"agent t:\n    inputs = {spelling}notes.md\n    outputs = {spelling}out.md\n"
        '    run = "cp {input} {output}"\n'
    )
    root = project(tmp_path, agentfile, {"notes.md": "mine\n"})
    assert main(["-C", str(root), "-s"]) == 0, capsys.readouterr().err
    assert (root / "out.md").read_text() == "mine\n"


@pytest.mark.parametrize("sep", ["\f", "\v", "\x1c", "\x1d", "\x1e", "\x85"])
def test_a_message_with_a_form_feed_or_nel_does_not_start_a_line_of_its_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sep: str
) -> None:
    """Messages reach the terminal through `term_lines`, which split them with `splitlines()`: a form feed,
    vertical tab or NEL in a placeholder, a file name or an agent's message became a real line break (a
    forged line) instead of being shown escaped."""
    from agentmake.safetext import term_lines

    assert term_lines(f"a{sep}b\r\nc\rd\n\ne\n") == [f"a\\x{ord(sep):02x}b", "c", "d", "", "e"]
    assert term_lines("") == [] and term_lines("\n") == [""]
    root = project(tmp_path, f'agent plain:\n    outputs = o\n    run = "echo a > {{ou{sep}tput}}"\n')
    assert main(["-C", str(root), "check"]) == 2
    err = capsys.readouterr().err.split("\n")
    assert err[0].endswith(
        f"unknown placeholder '{{ou\\x{ord(sep):02x}tput}}' in command 'echo a > {{ou\\x{ord(sep):02x}tput}}'"
    ), err
    assert err[2].strip() == "^", err


def test_an_agentfile_or_include_that_is_no_regular_file_is_not_called_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A directory, FIFO or device was "no such Agentfile" / "included file '/dev/null' not found"."""
    root = project(tmp_path, 'include "/dev/null"\n')
    assert main(["-C", str(root), "check"]) == 2
    assert "error: included file '/dev/null' is not a regular file" in capsys.readouterr().err
    os.mkfifo(root / "fifo")
    (root / "dir").mkdir()
    assert main(["-C", str(root), "-f", "fifo", "check"]) == 2
    assert "fifo is not a regular file: an Agentfile is a text file" in capsys.readouterr().err
    assert main(["-C", str(root), "-f", "dir", "check"]) == 2
    assert "dir is a directory: an Agentfile is a text file" in capsys.readouterr().err
    (root / "Agentfile").unlink()
    (root / "Agentfile").mkdir()
    assert main(["-C", str(root), "check"]) == 2
    assert "Agentfile is a directory: an Agentfile is a text file" in capsys.readouterr().err


def test_an_include_loop_through_a_symbolic_link_is_named_a_loop(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through a link to a directory above, the loop went on until the path was too long to resolve, then
    said "included file 'd/up/Agentfile' not found" from forty `d/up/` deep."""
    root = project(tmp_path, 'x = 1\ninclude "d/up/Agentfile"\n')
    (root / "d").mkdir()
    (root / "d" / "up").symlink_to("..")
    assert main(["-C", str(root), "check"]) == 2
    err = capsys.readouterr().err
    assert "/Agentfile:2:9: error: include loop: " in err and err.count("d/up/") < 3, err
    (root / "Agentfile").write_text('x = 1\ninclude "link"\n')
    (root / "link").symlink_to("Agentfile")
    assert main(["-C", str(root), "check"]) == 2
    assert "/Agentfile:2:9: error: include loop: " in capsys.readouterr().err


@pytest.mark.parametrize(
    "value",
    [
        '"Summarise:\\n{{ raed(input) }}"',
        '"Summarise:\\n" "{{ raed(input) }}"',
        '"""Summarise:""" "\\n{{ raed(input) }}"',
    ],
)
def test_an_error_past_a_newline_escape_of_an_inline_prompt_stays_on_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    """A quoted prompt's second line (after a `\\n` escape) was taken for the next line of the Agentfile: the
    error named line 5 and put its caret at column 1 of `runner = claude` (or past the end of the file)."""
    agentfile = (
        f"agent t:\n    inputs = in.md\n    outputs = o.md\n    prompt = {value}\n    runner = claude\n"
    )
    root = project(tmp_path, agentfile, {"in.md": "x\n"})
    assert main(["-C", str(root), "check"]) == 2
    err = capsys.readouterr().err.split("\n")
    col = value.index("raed") + 14
    assert err[0].endswith(
        f"Agentfile:4:{col}: error: inline prompt, line 2: undefined name: 'raed' is undefined"
    ), err
    assert err[1] == f"        prompt = {value}" and err[2] == " " * (col + 3) + "^", err


def test_a_long_line_is_shown_around_its_caret_and_a_long_message_shortened(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A megabyte line was echoed whole, with as many blanks again before the caret; a command quoted whole
    in the message made it as long."""
    root = project(tmp_path, 'x = "' + "a" * 3000 + '" ) # ' + "b" * 3000 + "\n")
    assert main(["-C", str(root), "check"]) == 2
    lines = capsys.readouterr().err.split("\n")
    assert lines[0].endswith(":1:3008: error: a '(' list must be the whole value; unexpected ')'"), lines[0]
    shown, caret = lines[1], lines[2]
    assert shown.startswith("    …a") and shown.endswith("b…") and len(shown) < 200, shown
    assert caret.strip() == "^" and shown[caret.index("^")] == ")", (shown, caret)

    (tmp_path / "cmd").mkdir()
    root = project(tmp_path / "cmd", 'agent a:\n    outputs = o\n    run = "' + "x" * 5000 + ' {nope}"\n')
    assert main(["-C", str(root), "check"]) == 2
    err = capsys.readouterr().err
    assert "unknown placeholder '{nope}'" in err.split("\n")[0] and " … " in err.split("\n")[0], err[:600]
    assert len(err) < 1500, len(err)


@pytest.mark.parametrize(("value", "columns"), [("日本語", 6), ("e\u0301", 1), ("🙂", 2), ("abc", 3)])
def test_the_caret_counts_terminal_columns_not_characters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str, columns: int
) -> None:
    """A wide character takes two columns and a combining mark none: counting characters put the caret
    left of the ')' after CJK text (and right of it after an accent written as a combining mark)."""
    root = project(tmp_path, f'x = "{value}" )\n')
    assert main(["-C", str(root), "check"]) == 2
    lines = capsys.readouterr().err.split("\n")
    assert lines[1] == f'    x = "{value}" )', lines
    assert lines[2] == " " * (4 + len('x = "') + columns + len('" ')) + "^", lines


def test_a_prompt_reading_a_file_that_is_not_an_input_is_refused_before_any_task(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`read('other.md')` of a file that is not an input: check said ok, -n refused it (exit 2) after making
    the state directory, and a build ran the agents before it (paid) and then failed the task (exit 1)."""
    agentfile = (
        'agent up:\n    outputs = notes.md\n    run = "echo expensive > {output}"\n'
        "agent down:\n    inputs = notes.md\n    outputs = summary.md\n"
        "    prompt = \"Summarise {{ read(input) }} with {{ read('other.md') }}\"\n"
    )
    root = project(tmp_path, agentfile, {"other.md": "x\n"})
    before = listing(root)
    for args in (["check"], ["-n"], []):
        assert main(["-C", str(root), *args]) == 2, args
        err = capsys.readouterr().err
        assert "Agentfile:7:57:" in err and "read('other.md'): not an input of task down" in err, err
        assert "add it to the agent's inputs" in err, err
    assert listing(root) == before  # nothing ran, nothing was written


def test_a_read_of_an_input_or_of_a_computed_path_is_not_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    agentfile = (
        "agent t:\n    inputs = docs/{n}.md glossary.md\n    outputs = out/{n}.md\n"
        "    prompt = \"{{ read('glossary.md') }} {{ read('docs/' ~ n ~ '.md') }}\"\n"
    )
    root = project(tmp_path, agentfile, {"docs/a.md": "a\n", "glossary.md": "g\n"})
    assert main(["-C", str(root), "check"]) == 0, capsys.readouterr().err


def test_an_ollama_agent_without_a_model_is_refused_before_any_task(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`ollama run` needs a model: check said ok and a build failed the task (exit 1) after the tasks before
    it had run; now check, -n and the build refuse it, located, and a model from anywhere will do."""
    agentfile = (
        'agent up:\n    outputs = notes.md\n    run = "echo expensive > {output}"\n'
        "runner local:\n    base = ollama\n"
        "agent sum:\n    runner = local\n    inputs = notes.md\n    outputs = s.md\n"
        '    prompt = "Summarise {{ read(input) }}"\n'
    )
    root = project(tmp_path, agentfile)
    before = listing(root)
    for args in (["check"], ["-n"], []):
        assert main(["-C", str(root), *args]) == 2, args
        err = capsys.readouterr().err
        assert "Agentfile:7:14: error: sum runs on local (ollama), which needs a model" in err, err
        assert "set `model` on sum or on runner local, or give model=NAME on the command line" in err, err
    assert listing(root) == before
    assert main(["-C", str(root), "check", "model=llama3"]) == 0
    pinned = agentfile.replace("base = ollama\n", "base = ollama\n    model = qwen3\n")
    (root / "Agentfile").write_text(pinned)
    assert main(["-C", str(root), "check"]) == 0
