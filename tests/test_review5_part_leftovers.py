"""A key file is rewritten through ``<stem>.key.part`` (`capture.replace_private`: `salvage.note_reported`,
`rekey_answers`); a kill -9 between the write and the rename leaves that file. The task's next attempt removes
it (`_note_key`); for a task no longer in the graph, `clean --leftovers` (`taskfiles.remove_task_files`)
must, as it removes the key file beside it, or it stays forever."""

from __future__ import annotations

from pathlib import Path

from agentmake.runners.taskfiles import remove_task_files


def test_clean_leftovers_removes_a_key_file_left_half_rewritten(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    for name in ("gone.1.key", "gone.1.key.part", "gone.1.out", "kept.1.key", "kept.1.key.part"):
        (logs / name).write_text("k\n1.0\n")
    assert remove_task_files(tmp_path, ["gone"]) == 3
    assert sorted(p.name for p in logs.iterdir()) == ["kept.1.key", "kept.1.key.part"]
