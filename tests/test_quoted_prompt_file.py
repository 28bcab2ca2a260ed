"""`prompt = "review.md"`: a quoted value is an inline prompt, so the agent was sent the nine characters
"review.md", not the file, and paid for; `check` said ok. A quoted prompt that is exactly the path of a file
in the project now gets a warning naming the fix (every command that loads the Agentfile says it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.cli import main

AGENTFILE = """\
agent review:
    prompt  = {prompt}
    inputs  = src.py
    outputs = review.md
"""


def _project(tmp_path: Path, prompt: str) -> Path:
    (tmp_path / "Agentfile").write_text(AGENTFILE.format(prompt=prompt))
    (tmp_path / "prompts").mkdir(exist_ok=True)
    (tmp_path / "prompts" / "review.md").write_text("Review {{ input }}\n")
    (tmp_path / "src.py").write_text("x = 1\n")
    return tmp_path


def test_a_quoted_prompt_naming_a_file_is_warned_of(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _project(tmp_path, '"prompts/review.md"')
    assert main(["-C", str(tmp_path), "check"]) == 0
    err = capsys.readouterr().err
    assert (
        "agentmake: warning: agent 'review' prompt is the text \"prompts/review.md\", not the file" in err
    ), err
    assert "prompt = prompts/review.md" in err  # (the fix: the path unquoted)
    main(["-C", str(tmp_path), "-n"])  # (a build, here a dry run, says it too)
    assert 'prompt is the text "prompts/review.md", not the file' in capsys.readouterr().err


def test_the_file_unquoted_or_real_text_is_not_warned_of(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for prompt in ("prompts/review.md", '"Review the code"', '"prompts/other.md"'):
        _project(tmp_path, prompt)
        assert main(["-C", str(tmp_path), "check"]) == 0
        assert "not the file" not in capsys.readouterr().err, prompt


def test_a_report_merge_prompt_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _project(tmp_path, "prompts/review.md")
    with (tmp_path / "Agentfile").open("a") as f:
        f.write(
            '\nreport all:\n    inputs = review.md\n    output = ALL.md\n    merge = "prompts/review.md"\n'
        )
    assert main(["-C", str(tmp_path), "check"]) == 0
    assert "report 'all' merge is the text \"prompts/review.md\", not the file" in capsys.readouterr().err
