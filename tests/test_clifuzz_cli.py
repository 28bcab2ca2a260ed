"""Command-line options that a command took and ignored: `agentmake init -f FILE` wrote `Agentfile` (and
said to run `agentmake check`), so the `agentmake -f FILE` that follows said "no such Agentfile"."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.cli import main


def test_init_writes_the_agentfile_that_f_names_and_its_prompt_beside_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["-C", "p", "-f", "other.af", "init"]) == 2  # (-C: no such directory)
    (tmp_path / "p").mkdir()
    capsys.readouterr()
    assert main(["-C", "p", "-f", "other.af", "init"]) == 0
    out = capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == ["notes", "other.af", "prompts"]
    assert "next: edit p/prompts/summarize.md, then run `agentmake -f p/other.af check`" in out, out
    assert main(["-f", "p/other.af", "check"]) == 0
    assert "other.af: 2 agents (2 tasks), 1 report" in capsys.readouterr().out
    assert main(["-C", "p", "-f", "other.af", "init"]) == 2  # (nothing is replaced)
    assert "init: other.af, prompts/summarize.md, notes/example.md already exist" in capsys.readouterr().err


def test_init_f_in_a_directory_still_to_make_makes_it_the_projects_root(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["-f", "sub/dir/Agentfile", "init"]) == 0
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) == [
        "sub/dir/Agentfile",
        "sub/dir/notes/example.md",
        "sub/dir/prompts/summarize.md",
    ]
    assert "`agentmake -f sub/dir/Agentfile check`" in capsys.readouterr().out
    assert main(["-f", "sub/dir/Agentfile", "check"]) == 0


@pytest.mark.parametrize("name", ["notes", "prompts"])
def test_init_f_naming_a_directory_the_starter_makes_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    assert main(["-C", str(tmp_path), "-f", name, "init"]) == 2
    assert f"an Agentfile named {name} would stand where the directory {name} goes" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_clean_passes_over_an_output_whose_directory_is_now_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`out/x/b.txt` with a file at `out/x`: clean and clean -n stopped (exit 2, "cannot use a file: Not a
    directory") before removing anything; there is nothing there to remove."""
    (tmp_path / "in.txt").write_text("x\n")
    (tmp_path / "Agentfile").write_text(
        'agent a:\n    run = "cp {input} {output}"\n    inputs = in.txt\n    outputs = out/a.txt\n\n'
        'agent b:\n    run = "cp {input} {output}"\n    inputs = in.txt\n    outputs = out/x/b.txt\n'
    )
    assert main(["-C", str(tmp_path), "-s"]) == 0
    (tmp_path / "out/x/b.txt").unlink()
    (tmp_path / "out/x").rmdir()
    (tmp_path / "out/x").write_text("mine\n")
    capsys.readouterr()
    assert main(["-C", str(tmp_path), "clean", "-n"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "would remove out/a.txt",
        "agentmake: would remove 1 output (dry run)",
    ]
    assert main(["-C", str(tmp_path), "clean"]) == 0
    assert capsys.readouterr().out == "agentmake: removed 1 output\n"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["x"]
    assert (tmp_path / "out/x").read_text() == "mine\n"


@pytest.mark.parametrize("spelt", ["./out/a.txt", "out//a.txt", "{root}/out/a.txt", "out", "out/"])
def test_explain_takes_a_target_as_every_other_command_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], spelt: str
) -> None:
    """A build, status, graph and clean took `./out/a.txt`, an absolute path or a directory of outputs;
    explain said "unknown target" of each (and "did you mean 'out/a.txt'?" of the path itself)."""
    (tmp_path / "in.txt").write_text("x\n")
    (tmp_path / "Agentfile").write_text(
        'agent a:\n    run = "cp {input} {output}"\n    inputs = in.txt\n    outputs = out/a.txt\n'
    )
    assert main(["-C", str(tmp_path), "-s"]) == 0
    capsys.readouterr()
    target = spelt.format(root=tmp_path)
    assert main(["-C", str(tmp_path), "status", target]) == 0
    capsys.readouterr()
    assert main(["-C", str(tmp_path), "explain", target]) == 0
    assert capsys.readouterr().out == "out/a.txt [a] is up to date\n"


def test_a_trace_file_that_cannot_be_written_is_a_warning_not_a_traceback(tmp_path: Path) -> None:
    """AGENTMAKE_TRACE naming a directory (or a file in a missing one, or /dev/full) printed a traceback
    ("Exception ignored in atexit callback") after the command's own output."""
    import os
    import subprocess
    import sys

    (tmp_path / "in.txt").write_text("x\n")
    (tmp_path / "Agentfile").write_text(
        'agent a:\n    run = "cp {input} {output}"\n    inputs = in.txt\n    outputs = out/a.txt\n'
    )
    for trace in (tmp_path, tmp_path / "missing" / "t.jsonl"):
        env = {**os.environ, "AGENTMAKE_TRACE": str(trace), "CI": "1"}
        proc = subprocess.run(
            [sys.executable, "-m", "agentmake", "-C", str(tmp_path), "-B"],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        assert "Traceback" not in proc.stderr, proc.stderr
        assert proc.stderr.splitlines()[-1].startswith(
            f"agentmake: warning: cannot write AGENTMAKE_TRACE={trace}: "
        ), proc.stderr
    trace = tmp_path / "t.jsonl"
    env = {**os.environ, "AGENTMAKE_TRACE": str(trace), "CI": "1"}
    proc = subprocess.run([sys.executable, "-m", "agentmake", "-C", str(tmp_path)], env=env, timeout=60)
    assert proc.returncode == 0 and '"moment": "exit"' in trace.read_text()
