"""Values a beginner writes the way other tools take them, which the Agentfile took silently as something
else: a prompt file's path in quotes (`prompt = "prompts/a.md"`: an inline prompt whose whole text is the
path, sent to the agent and paid for) and paths separated by commas (`outputs = a.md, b.md`: an output named
`a.md,`). `check` refuses both, saying how to write them."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.cli import main


def check(root: Path, agentfile: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    (root / "Agentfile").write_text(agentfile)
    code = main(["-C", str(root), "check"])
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("block", "key"),
    [
        ("agent a:\n    prompt = {value}\n    outputs = a.md\n", "prompt"),
        (
            "agent a:\n    prompt = hi\n    outputs = a.md\n\n"
            "report r:\n    inputs = a.md\n    output = R.md\n    merge = {value}\n",
            "merge",
        ),
    ],
)
def test_a_prompt_files_path_in_quotes_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], block: str, key: str
) -> None:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts/a.md").write_text("Summarise the project.\n")
    (tmp_path / "hi").write_text("Say hi.\n")
    code, err = check(tmp_path, block.format(value='"prompts/a.md"'), capsys)
    assert code == 2, err
    assert "'prompts/a.md' is the name of a file" in err
    assert f"{key} = prompts/a.md" in err  # (what to write instead)
    code, err = check(tmp_path, block.format(value="prompts/a.md"), capsys)  # unquoted: the file
    assert code == 0, err


def test_a_one_word_inline_prompt_that_names_no_file_is_a_prompt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = check(tmp_path, 'agent a:\n    prompt = "hello"\n    outputs = a.md\n', capsys)
    assert code == 0, err


@pytest.mark.parametrize("key", ["inputs", "outputs"])
def test_paths_separated_by_commas_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], key: str
) -> None:
    for name in ("x.md", "y.md"):
        (tmp_path / name).write_text("x\n")
    other = "inputs = x.md" if key == "outputs" else "outputs = o1.md"
    agentfile = f'agent a:\n    prompt = "hi"\n    {other}\n    {key} = x.md, y.md\n'
    if key == "outputs":
        agentfile = agentfile.replace("x.md, y.md", "o1.md, o2.md")
    code, err = check(tmp_path, agentfile, capsys)
    assert code == 2, err
    assert "Agentfile:4:" in err and "separated by spaces, not commas" in err
