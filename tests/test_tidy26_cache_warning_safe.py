"""The line that says the cache directory is not used names a directory from $XDG_CACHE_HOME or $HOME:
shown terminal-safe (`term_safe`), as every path agentmake prints; one not UTF-8 is said too (before, its
`encode` raised UnicodeEncodeError out of `cache_dir`: a traceback at start)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from groupdb import forget, shared_group

from agentmake.userdirs import cache_dir


def _not_used(tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a start says of the cache under `tmp_path`/`name`, group-writable in a group another shares."""
    shared_group(monkeypatch)
    forget(monkeypatch)
    base = os.path.join(os.fsencode(tmp_path), os.fsencode(name))
    os.makedirs(os.path.join(base, b"agentmake"), mode=0o700)
    os.chmod(base, 0o775)
    monkeypatch.setenv("XDG_CACHE_HOME", os.fsdecode(base))
    assert cache_dir() is None


def test_an_escape_sequence_in_xdg_cache_home_is_shown_escaped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _not_used(tmp_path, "ca\x1b]0;owned\x07che", monkeypatch)
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    [line] = [line for line in err.splitlines() if line.startswith("agentmake: not using the cache")]
    assert "ca\\x1b]0;owned\\x07che/agentmake" in line and "chmod g-w" in line


def test_a_cache_home_not_utf8_is_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _not_used(tmp_path, os.fsdecode(b"ca\xffche"), monkeypatch)
    err = capsys.readouterr().err
    [line] = [line for line in err.splitlines() if line.startswith("agentmake: not using")]
    assert "ca\\xffche/agentmake" in line
