"""Each build watch starts after a change first names the files it is for: `agentmake: docs/a.md changed:
building` (a build used to start with no word of why); a save that changes nothing builds nothing and says
nothing, as before."""

from __future__ import annotations

import os
import time
from pathlib import Path

from test_watch import AGENTFILE, Watch


def test_a_rebuild_names_what_changed_and_a_touch_says_nothing(tmp_path: Path) -> None:
    project, log = tmp_path / "proj", tmp_path / "runs.log"
    (project / "docs").mkdir(parents=True)
    (project / "Agentfile").write_text(AGENTFILE.format(log=log, sleep=""))
    (project / "docs" / "a.md").write_text("alpha\n")
    (project / "docs" / "b c.md").write_text("beta\n")
    w = Watch(project, log)
    try:
        w.wait_for(lambda: len(w.summaries()) == 1 and "watching" in w.stderr(), "the first build")
        assert "changed" not in w.stderr(), w.stderr()  # (the first build is no change's)
        (project / "docs" / "b c.md").write_text("beta 2\n")
        w.wait_for(lambda: len(w.summaries()) == 2, "the build after the edit")
        assert 'agentmake: "docs/b c.md" changed: building' in w.stderr(), w.stderr()
        said = w.stderr()
        os.utime(project / "docs" / "a.md")  # (a touch: no change of content)
        time.sleep(1.5)
        assert w.stderr() == said and len(w.summaries()) == 2, w.stderr()
    finally:
        assert w.stop() == 130
