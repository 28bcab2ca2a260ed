"""The suite runs with a cache home of its own (tests/conftest.py): never the user's ~/.cache/agentmake, in
this process nor in the agentmake commands it starts."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CACHE_HOME_ENV
from groupdb import forget

from agentmake.userdirs import cache_dir


def test_the_session_cache_home_is_private_and_not_the_users() -> None:
    home = os.environ["XDG_CACHE_HOME"]
    assert home == os.environ[CACHE_HOME_ENV]
    st = os.stat(home)
    assert stat.S_IMODE(st.st_mode) == 0o700 and st.st_uid == os.getuid()
    assert Path(home).resolve() != Path("~/.cache").expanduser().resolve()


def test_a_started_agentmake_uses_it(monkeypatch: pytest.MonkeyPatch) -> None:
    forget(monkeypatch)
    assert cache_dir() == os.path.join(os.environ[CACHE_HOME_ENV], "agentmake")
    probe = "from agentmake.userdirs import cache_dir; print(cache_dir())"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == os.path.join(os.environ[CACHE_HOME_ENV], "agentmake")


def test_a_test_may_set_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    forget(monkeypatch)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == str(tmp_path / "agentmake")
