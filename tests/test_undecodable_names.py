"""A file or directory whose name is not valid UTF-8 is skipped by globs and wildcards, with one warning
naming it (escaped), instead of a UnicodeEncodeError traceback from `agentmake` and `agentmake status`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.graph import fileindex
from agentmake.graph.fileindex import FileIndex
from agentmake.graph.globs import compile_pattern


def bad(name: bytes) -> str:
    """`name` as os.scandir gives it back (undecodable bytes as surrogate escapes)."""
    return os.fsdecode(name)


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def test_the_index_leaves_such_names_out_and_warns_once_when_a_pattern_wants_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fileindex, "_warned", set())  # (once per process: not once per test)
    (tmp_path / "in").mkdir()
    for name in ("ok.txt", bad(b"\xff\xfe.txt"), bad(b"caf\xe9.md"), "café.txt"):
        (tmp_path / "in" / name).write_text("x")
    (tmp_path / "in" / bad(b"sub\xfa")).mkdir()
    (tmp_path / "in" / bad(b"sub\xfa") / "deep.txt").write_text("x")
    index = FileIndex(tmp_path)
    assert index.listdir("in") == (["café.txt", "ok.txt"], [])  # (valid UTF-8 that is not ASCII stays)
    assert capsys.readouterr().err == ""  # listing alone says nothing: no pattern asked for them
    assert sorted(index.candidates(compile_pattern("in/*.txt"))) == ["in/café.txt", "in/ok.txt"]
    err = capsys.readouterr().err
    assert err == (
        "agentmake: warning: skipping in/\\xff\\xfe.txt: its name is not valid UTF-8, so it is not an input "
        "(rename it to use it)\n"
    )  # (not in/caf\xe9.md: *.txt would not match it)
    list(FileIndex(tmp_path).candidates(compile_pattern("in/*.txt")))
    list(index.candidates(compile_pattern("in/**/*.txt")))
    err = capsys.readouterr().err
    assert err.count("warning") == 1 and "skipping in/sub\\xfa/: " in err, err  # (the file: said already)


def test_a_fan_out_and_a_glob_over_such_a_file_build_the_others(e2e: E2E) -> None:
    e2e.write("in/ok.txt", "fine\n")
    (e2e.root / "in" / bad(b"\xff\xfe.txt")).write_bytes(b"x")
    e2e.write(
        "Agentfile",
        """\
        agent each:
            inputs = in/{n}.txt
            outputs = out/{n}.md
            run = "cp {input} {output}"

        agent all:
            inputs = in/*.txt
            outputs = out/all.md
            run = "cat {inputs} > {output}"
        """,
    )
    run = e2e.am()
    assert run.code == 0, run
    assert run.summary.ran == 2 and run.states == {"each:ok": "done", "all": "done"}, run
    assert e2e.files("out/*") == ["out/all.md", "out/ok.md"] and e2e.read("out/all.md") == "fine\n"
    warning = "agentmake: warning: skipping in/\\xff\\xfe.txt: its name is not valid UTF-8"
    assert run.err.count(warning) == 1 and "Traceback" not in run.text, run
    status = e2e.am("status")
    assert status.code == 0 and "Traceback" not in status.text, status
    assert "each:ok" in status.out and status.err.count(warning) == 1, status
