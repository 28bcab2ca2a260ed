"""agentmake where the locale is not UTF-8 (a Latin-1 or ASCII locale with Python's UTF-8 mode off, or
`PYTHONIOENCODING=ascii`): every command stopped with a UnicodeDecodeError traceback (the parser's cache
key read its own source in the locale's encoding), and `check`, or a build that saved a hand edit, with a
UnicodeEncodeError printing `—` or `→`. Such a character is now written escaped."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

AGENTFILE = 'agent a:\n    run = "cp {input} {output}"\n    inputs = in.txt\n    outputs = out/a.txt\n'


def _am(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[bytes]:
    full = {**os.environ, "CI": "1", "XDG_CACHE_HOME": str(root.parent / "cache"), **env}
    return subprocess.run(
        [sys.executable, "-m", "agentmake", "-C", str(root), *args], env=full, capture_output=True, timeout=60
    )


@pytest.mark.parametrize(
    "env",
    [{"PYTHONUTF8": "0", "LC_ALL": "C"}, {"PYTHONIOENCODING": "ascii"}, {"PYTHONIOENCODING": "latin-1"}],
)
def test_every_command_works_where_the_terminal_is_not_utf8(tmp_path: Path, env: dict[str, str]) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "in.txt").write_text("x\n")
    (root / "Agentfile").write_text(AGENTFILE)
    check = _am(root, "check", **env)
    assert check.returncode == 0 and b"Traceback" not in check.stderr, check
    said = b"Agentfile: 1 agent (1 task), 0 reports, 1 of 8 runners in use \\u2014 ok\n"
    assert check.stdout == said, check
    assert _am(root, **env).returncode == 0
    (root / "out/a.txt").write_text("edited\n")
    build = _am(root, "-B", **env)
    assert build.returncode == 0 and b"Traceback" not in build.stderr, build
    assert b"hand-edited output saved: out/a.txt \\u2192 " in build.stderr, build
    for args in (("status",), ("list",), ("-n",), ("explain", "a"), ("clean", "-n"), ("nosuch",)):
        run = _am(root, *args, **env)
        assert run.returncode == (2 if args == ("nosuch",) else 0), run
        assert b"Traceback" not in run.stderr, run
