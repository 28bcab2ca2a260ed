"""Fixes from a security and usability review: each test fails without its fix."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from groupdb import forget

from agentmake.errors import AgentfileError
from agentmake.graph import build_graph
from agentmake.report.markdown import demote_headings
from agentmake.syntax.grammar import grammar_cache_file
from agentmake.syntax.load import load_agentfile


def write(root: Path, text: str) -> Path:
    path = root / "Agentfile"
    path.write_bytes(text.encode("utf-8"))
    return path


def test_parser_cache_never_lives_in_a_directory_others_can_write(tmp_path: Path, monkeypatch) -> None:
    shared = tmp_path / "xdg"
    (shared / "agentmake").mkdir(parents=True)
    os.chmod(shared / "agentmake", 0o777)  # as a planted directory in a shared /tmp would be
    monkeypatch.setenv("XDG_CACHE_HOME", str(shared))
    assert grammar_cache_file() is False
    os.chmod(shared / "agentmake", 0o700)
    forget(monkeypatch)  # (`cache_dir` keeps its answer for the process: looked at again)
    assert grammar_cache_file() == str(shared / "agentmake" / "agentfile-grammar.lark-cache")
    monkeypatch.setenv("XDG_CACHE_HOME", "/proc/nowhere")
    assert grammar_cache_file() is False  # no fallback to the shared temporary directory


def test_an_output_inside_agentmake_state_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a\n")
    path = write(
        tmp_path,
        'agent x:\n    inputs = a.txt\n    outputs = .agentmake/state.db\n    run = "cp {input} {output}"\n',
    )
    with pytest.raises(AgentfileError) as err:
        build_graph(load_agentfile(path))
    assert ".agentmake" in err.value.message and err.value.loc is not None and err.value.loc.line == 3


def test_a_nul_byte_is_a_located_error(tmp_path: Path) -> None:
    path = write(tmp_path, 'agent x:\n    outputs = o\x00x\n    run = "touch {output}"\n')
    with pytest.raises(AgentfileError) as err:
        load_agentfile(path)
    assert err.value.loc is not None and (err.value.loc.line, err.value.loc.col) == (2, 16)
    out = subprocess.run(
        [sys.executable, "-m", "agentmake", "check"], cwd=tmp_path, capture_output=True, text=True
    )
    assert out.returncode == 2 and "Traceback" not in out.stderr and "Agentfile:2:16" in out.stderr


def test_an_agentfile_saved_with_a_bom_loads(tmp_path: Path) -> None:
    path = write(tmp_path, '\ufeffagent x:\n    outputs = o.txt\n    run = "touch {output}"\n')
    assert list(load_agentfile(path).agents) == ["x"]


def test_an_unclosed_code_fence_is_closed() -> None:
    demoted = demote_headings("# T\n```python\nx = 1\n")
    assert demoted.splitlines() == ["### T", "```python", "x = 1", "```"]
