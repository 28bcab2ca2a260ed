"""The code caches' files of other Python versions (`cachefile.drop_unused_others`): each version writes its
own `module-code.*`/`dataclass-code.*` file, so one no longer run would stay for good; a file of the same
family not read for 30 days is removed as another is written, and reading a file marks it used (its mtime),
so a version still in use keeps its file."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from agentmake.cachefile import read, write

_DAY = 24 * 3600


def _aged(path: Path, days: float, data: bytes = b"x") -> Path:
    path.write_bytes(data)
    then = time.time() - days * _DAY
    os.utime(path, (then, then))
    return path


def test_writing_a_code_cache_removes_its_family_s_files_unused_for_30_days(tmp_path: Path) -> None:
    stale = _aged(tmp_path / "module-code.cpython-39-30907f0-O0.marshal", 31)
    recent = _aged(tmp_path / "module-code.cpython-312-30c00f0-O0.marshal", 29)
    older_layout = _aged(tmp_path / "module-code.cpython-310-30a0df0.marshal", 40)
    other_family = _aged(tmp_path / "dataclass-code.cpython-39-30907f0.marshal", 31)
    not_a_cache = _aged(tmp_path / "module-code.notes.txt", 31)
    write(str(tmp_path / "module-code.cpython-311-30b07f0-O0.marshal"), {"a": 3}, [b"abc"])
    assert not stale.exists() and not older_layout.exists()
    assert recent.exists() and other_family.exists() and not_a_cache.exists()
    write(str(tmp_path / "dataclass-code.cpython-311-30b07f0.marshal"), {"a": 3}, [b"abc"])
    assert not other_family.exists()


def test_reading_a_code_cache_marks_it_used_so_its_version_keeps_it(tmp_path: Path) -> None:
    used = tmp_path / "module-code.cpython-39-30907f0-O0.marshal"
    write(str(used), {"a": 3}, [b"abc"])
    then = time.time() - 31 * _DAY
    os.utime(used, (then, then))
    assert read(str(used), lambda n: n) is not None
    assert time.time() - used.stat().st_mtime < _DAY
    write(str(tmp_path / "module-code.cpython-311-30b07f0-O0.marshal"), {"a": 3}, [b"abc"])
    assert used.exists()


def test_a_real_start_with_a_new_version_s_cache_removes_an_old_version_s_file(tmp_path: Path) -> None:
    xdg = tmp_path / "xdg"
    (xdg / "agentmake").mkdir(parents=True, mode=0o700)
    xdg.chmod(0o700)
    stale = _aged(xdg / "agentmake" / "module-code.cpython-38-30811f0-O0.marshal", 45)
    env = {**os.environ, "XDG_CACHE_HOME": str(xdg)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    done = subprocess.run(
        [sys.executable, "-m", "agentmake", "--help"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in (xdg / "agentmake").iterdir())
    assert any(n.startswith("module-code.") for n in names), names  # (this version's was written)
    assert not stale.exists(), names
