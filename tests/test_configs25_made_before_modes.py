"""Back to `lang=es` after `lang=fr`, the result's cache entry gone: a build takes the outputs lang=es's build
made as built when their content is what it made (`Store.made_before`), whatever their modes now. Chosen so,
as make does (a chmod is no edit) and as agentmake does for a record still its own: a chmod of an output of
an up-to-date task reruns nothing; made_before stands in for that record, superseded by lang=fr's. agentmake
never makes an output read-only, and no decision reads an output's write bits (`Judge._modes_as_cached`
compares executable bits alone, of a cached result a restore would give back: free, where here the only
other way is calling the agent again). The modes the user gave are left as they are: no file is
rewritten."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from agentmake.cli import main

AGENTFILE = """\
cache_size = 0
lang = es
agent t:
    inputs = src.md
    outputs = out/${lang}/a.md out/${lang}/b.md
    run = "for o in {outputs}; do cp {input} $o; done"
"""


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_outputs_whose_modes_alone_changed_are_taken_as_built(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    (tmp_path / "src.md").write_text("hello\n")
    assert main(["-C", str(tmp_path), "-s"]) == 0
    assert main(["-C", str(tmp_path), "-s", "lang=fr"]) == 0
    a, b = tmp_path / "out" / "es" / "a.md", tmp_path / "out" / "es" / "b.md"
    os.chmod(a, _mode(a) | 0o111)  # made executable by hand
    os.chmod(b, _mode(b) & ~0o222)  # made read-only by hand
    modes = _mode(a), _mode(b)
    capsys.readouterr()
    assert main(["-C", str(tmp_path), "-n"]) == 0
    assert "0 to run" in capsys.readouterr().out
    assert main(["-C", str(tmp_path)]) == 0
    assert "0 ran, 0 cached, 1 up to date" in capsys.readouterr().out
    assert (_mode(a), _mode(b)) == modes  # (left as the user made them)
    assert a.read_text() == b.read_text() == "hello\n"
