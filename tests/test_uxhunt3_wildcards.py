"""Wildcards that can split a name in more than one way. `src/{x}{y}.txt` over `abc.txt` silently made
one task `x=ab, y=c` (the first wildcard took all it could), and `{lang}_{name}.md` over `en_us_intro.md`
silently made lang `en_us`: a guess a user could not see. Now two wildcards (or a wildcard and a `*`) side
by side are refused where the pattern is written, and a file that matches a pattern in more than one way
is refused naming both ways; a file that matches in one way only is taken as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.cli import main
from agentmake.graph.globs import compile_pattern


def project(root: Path, inputs: str, outputs: str, files: list[str]) -> Path:
    agentfile = (
        f'agent a:\n    run = "cat {{input}} > {{output}}"\n    inputs = {inputs}\n    outputs = {outputs}\n'
    )
    (root / "Agentfile").write_text(agentfile)
    for name in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(name)
    return root


@pytest.mark.parametrize(
    ("inputs", "said"),
    [("src/{x}{y}.txt", "{x} and {y} side by side"), ("src/{x}*.txt", "{x} and * side by side")],
)
def test_wildcards_side_by_side_are_refused_where_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], inputs: str, said: str
) -> None:
    root = project(tmp_path, inputs, "out/{x}.txt", ["src/abc.txt"])
    assert main(["-C", str(root), "check"]) == 2
    err = capsys.readouterr().err
    assert (
        f"Agentfile:3:14: error: agent 'a' input '{inputs}': {said} split a name in more than one way" in err
    )
    assert "Traceback" not in err


def test_a_file_matching_in_two_ways_is_refused_naming_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(
        tmp_path, "src/{lang}_{name}.md", "out/{lang}/{name}.md", ["src/de_a.md", "src/en_us_intro.md"]
    )
    for args in (["check"], ["-n"], []):
        assert main(["-C", str(root), *args]) == 2, args
        err = capsys.readouterr().err
        assert (
            "agent 'a' input 'src/{lang}_{name}.md' matches src/en_us_intro.md in more than one way: "
            "lang='en_us', name='intro' or lang='en', name='us_intro'"
        ) in err, err
    assert not (root / "out").exists()  # (nothing was built on a guess)
    (root / "src/en_us_intro.md").rename(root / "src/en_intro.md")  # one way each: built as before
    assert main(["-C", str(root), "-s"]) == 0
    assert (root / "out/de/a.md").is_file() and (root / "out/en/intro.md").is_file()


def test_a_repeated_wildcard_or_a_single_one_is_no_ambiguity() -> None:
    assert compile_pattern("{a}{a}.txt").adjacent() is None
    assert compile_pattern("{a}{a}.txt").match("xyxy.txt") == {"a": "xy"}
    assert compile_pattern("docs/{n}.md").lazy_regex is None  # (the common fan-out pays nothing)
    assert compile_pattern("docs/{n}.{e}").ambiguity("docs/a.md") is None
    assert compile_pattern("docs/{n}.{e}").ambiguity("docs/a.tar.gz") == (
        {"n": "a.tar", "e": "gz"},
        {"n": "a", "e": "tar.gz"},
    )
