"""`agentmake watch` loads the Agentfile itself (and again at each save of it): the warnings every other
command gives at load (a misspelt setting taken as a variable, a block's line that lost its indentation) were
never shown there. A watch says each once, when a load first finds it."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.watch.session import WatchSession
from agentmake.workflow import Request

AGENTFILE = """\
{setting} = 4

agent copy:
    inputs  = a.txt
    outputs = b.txt
    run     = "cp {{input}} {{output}}"
"""


def test_watch_shows_the_load_warnings_once_each(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.txt").write_text("a\n")
    agentfile = tmp_path / "Agentfile"
    agentfile.write_text(AGENTFILE.format(setting="jbos"))
    session = WatchSession(Request(directory=tmp_path, silent=True))
    try:
        assert session.load()
        said = "Agentfile:1) is taken as a variable, not a setting: did you mean 'jobs'?"
        assert capsys.readouterr().err.count(said) == 1
        assert session.load(quiet=True)  # (a save of the Agentfile that changes nothing it warns of)
        assert "jbos" not in capsys.readouterr().err
        agentfile.write_text(AGENTFILE.format(setting="retry"))  # a new slip: said when it appears
        assert session.load(quiet=True)
        err = capsys.readouterr().err
        said = "Agentfile:1) is taken as a variable, not a setting: did you mean 'retries'?"
        assert said in err and "jbos" not in err
    finally:
        session.close()
