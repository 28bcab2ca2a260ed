"""What agentmake keeps beside the logs is owner-only, as the logs are (README: files 0600, directories
0700): a multi-output agent's files kept for salvage (`<task>.<attempt>.salvage/`) hold its answers. (The
copies keep the modes the agent gave them, which a salvaged output gets back; the directory shuts them in.)"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from agentmake.runners.backups import keep_answer_files
from agentmake.runners.capture import private_dir


def test_kept_answer_files_are_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        (tmp_path / "out").mkdir()
        for name in ("a.md", "b.md"):
            (tmp_path / "out" / name).write_text(f"{name}\n")
            (tmp_path / "out" / name).chmod(0o644)
        logs = tmp_path / ".agentmake" / "logs"
        private_dir(logs)
        keep = keep_answer_files(tmp_path, logs / "two.1", ["out/a.md", "out/b.md"])
    finally:
        os.umask(old)
    assert keep is not None
    assert stat.S_IMODE(keep.stat().st_mode) == 0o700
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in keep.iterdir()}
    assert modes == {"0": 0o644, "1": 0o644, "outputs.json": 0o600}
    assert (keep / "0").read_text() == "a.md\n"
