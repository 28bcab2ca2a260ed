"""The command line: argument parsing into a Request, check/list/init, and error and exit-code handling."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FakeAgents

from agentmake import workflow
from agentmake.cli import main, parse
from agentmake.errors import UsageError
from agentmake.locate import project_directory
from agentmake.store import Store

AGENTFILE = """\
lang = Chinese
agent translate:
    description = Translate the docs
    inputs = docs/{name}.md
    outputs = build/zh/{name}.md
    prompt = "Translate {{ input }} into {{ lang }}"
agent count:
    inputs = build/zh/{name}.md
    outputs = build/count/{name}.txt
    run = wc -w < {input} > {output}
report digest:
    inputs = build/count/*.txt
    output = build/digest.md
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "docs").mkdir()
    for name in ("a", "b", "c"):
        (tmp_path / "docs" / f"{name}.md").write_text(f"# {name}\n")
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    return tmp_path


def test_parse_targets_overrides_and_options_anywhere(tmp_path: Path) -> None:
    command, _ns, req = parse(
        [
            "-C",
            str(tmp_path),
            "review",
            "lang=French",
            "-j",
            "3",
            "-k",
            "summary",
            "-n",
            "-B",
            "-q",
            "-s",
            "-v",
            "--budget",
            "2.5",
            "-f",
            "Other",
        ]
    )
    assert command == "build" and isinstance(req, workflow.Request)
    assert req.targets == ["review", "summary"] and req.overrides == {"lang": "French"}
    assert (
        req.jobs,
        req.keep_going,
        req.dry_run,
        req.force,
        req.question,
        req.silent,
        req.verbose,
        req.budget,
    ) == (3, True, True, True, True, True, True, 2.5)
    assert req.directory == tmp_path and req.agentfile == Path("Other")


@pytest.mark.parametrize("cmd", ["build", "report", "status", "graph", "explain", "clean", "watch"])
def test_commands_are_recognised(tmp_path: Path, cmd: str) -> None:
    command, _ns, req = parse([cmd, "-C", str(tmp_path), "t"])
    assert command == cmd and isinstance(req, workflow.Request) and req.targets == ["t"]


def test_build_list_builds_a_target_called_list(tmp_path: Path) -> None:
    command, _ns, req = parse(["build", "list", "-C", str(tmp_path)])
    assert command == "build" and isinstance(req, workflow.Request) and req.targets == ["list"]


@pytest.mark.parametrize(
    "argv",
    [["--json"], ["check", "--cache"], ["list", "x"], ["explain"], ["-j", "0"], ["-C", "/no/such/dir"]],
)
def test_usage_errors(argv: list[str]) -> None:
    with pytest.raises(UsageError):
        parse(argv)


def test_usage_error_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--json"]) == 2
    assert "--json is an option of `agentmake status`" in capsys.readouterr().err
    assert main(["--no-such-option"]) == 2


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert "agentmake 0.1.0" in capsys.readouterr().out
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "explain" in out and "stream what agents print ([task] lines)" in " ".join(out.split())
    # what changed today is where a user looks for it: `--`, and -k's partial reports
    assert "'--' ends the options" in " ".join(out.split())
    assert "keep building what does not need a failure; reports are written partial" in " ".join(out.split())


def test_clean_help_says_what_a_target_removes(capsys: pytest.CaptureFixture[str]) -> None:
    """`clean TARGET` removes the outputs of every task the target needs, not the target's alone: its help
    says so, and that they come back from the cache; the list of commands keeps its one line."""
    assert main(["clean", "--help"]) == 0
    said = " ".join(capsys.readouterr().out.split())
    assert "only the outputs of the tasks they need, themselves included" in said
    assert "puts them back from the cache, calling no agent" in said
    assert main(["--help"]) == 0
    assert "themselves included" not in capsys.readouterr().out


@pytest.mark.usefixtures("fake_agents")  # (claude on PATH: else `— not buildable here`)
def test_check_prints_one_line(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-C", str(project), "check"]) == 0
    assert capsys.readouterr().out == "Agentfile: 2 agents (6 tasks), 1 report, 2 of 8 runners in use — ok\n"


def test_check_with_f_and_override(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "Agentfile").rename(project / "alt.Agentfile")
    assert main(["-C", str(project), "check", "-f", "alt.Agentfile", "lang=French"]) == 0
    assert capsys.readouterr().out.startswith("alt.Agentfile: 2 agents")
    assert main(["-C", str(project), "check"]) == 2
    assert "no Agentfile in" in capsys.readouterr().err


def test_list_shows_agents_tasks_and_reports(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-C", str(project), "list"]) == 0
    out = capsys.readouterr().out
    assert "translate  Translate the docs  [claude, 3 tasks]" in out
    assert "translate:a  -> build/zh/a.md" in out and "count:c      -> build/count/c.txt" in out
    arrows = {line.index("->") for line in out.splitlines() if line.startswith("    ") and "->" in line}
    assert len(arrows) == 1, out  # (every task's arrow in one column, across agents)
    assert "reports:\n  digest     -> build/digest.md" in out


@pytest.mark.usefixtures("fake_agents")
def test_init_writes_a_project_that_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "unrelated.txt").write_text("x")
    assert main(["-C", str(tmp_path), "init"]) == 0
    assert (tmp_path / "Agentfile").is_file() and (tmp_path / "prompts/summarize.md").is_file()
    capsys.readouterr()
    assert main(["-C", str(tmp_path), "check"]) == 0
    assert "— ok" in capsys.readouterr().out
    before = (tmp_path / "Agentfile").read_text()
    assert main(["-C", str(tmp_path), "init"]) == 2
    err = capsys.readouterr().err
    assert "init: Agentfile, prompts/summarize.md, notes/example.md already exist in" in err
    assert (tmp_path / "Agentfile").read_text() == before
    (tmp_path / "prompts/summarize.md").unlink()
    (tmp_path / "notes/example.md").unlink()
    assert main(["-C", str(tmp_path), "init"]) == 2
    assert "init: Agentfile already exists in" in capsys.readouterr().err


def test_a_bare_build_of_the_starter_builds_every_agent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_agents: FakeAgents
) -> None:
    assert main(["-C", str(tmp_path), "init"]) == 0
    assert main(["-C", str(tmp_path), "-s"]) == 0  # (the fake claude answers; the report is the default)
    assert "agentmake: 3 ran," in capsys.readouterr().out  # summarize, count and the digest
    digest = (tmp_path / "build/digest.md").read_text()
    assert "build/summaries/example.md" in digest and "build/counts/example.txt" in digest


def test_not_implemented_workflow_is_reported(
    monkeypatch: pytest.MonkeyPatch, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def missing(req: workflow.Request, fmt: str) -> int:
        raise NotImplementedError

    monkeypatch.setattr(workflow, "graph", missing)
    assert main(["-C", str(project), "graph", "--format", "dot"]) == 2
    assert "agentmake: error: 'graph' is not implemented yet" in capsys.readouterr().err


def test_workflow_receives_request_and_exit_code_passes_through(
    monkeypatch: pytest.MonkeyPatch, project: Path
) -> None:
    seen: list[workflow.Request] = []

    def fake_build(req: workflow.Request) -> int:
        seen.append(req)
        return 1

    monkeypatch.setattr(workflow, "build", fake_build)
    assert main(["-C", str(project), "translate", "lang=x"]) == 1
    assert seen[0].targets == ["translate"] and seen[0].overrides == {"lang": "x"}


def test_keyboard_interrupt_is_130(monkeypatch: pytest.MonkeyPatch, project: Path) -> None:
    def interrupted(req: workflow.Request) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(workflow, "watch", interrupted)
    assert main(["-C", str(project), "watch"]) == 130


def test_console_script_subprocess_error(tmp_path: Path) -> None:
    (tmp_path / "Agentfile").write_text("agent a:\n    outputs = x\n    prompt = prompts/missing.md\n")
    result = subprocess.run(
        [sys.executable, "-m", "agentmake", "check"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("Agentfile:3:14: error: prompt file 'prompts/missing.md' not found")
    assert "Traceback" not in result.stderr


@pytest.mark.usefixtures("fake_agents")
def test_example_agentfile_checks() -> None:
    repo = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-m", "agentmake", "check", "-f", "Agentfile.example"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Agentfile.example: ") and result.stdout.endswith("— ok\n")


def test_example_agentfile_override_it_shows_is_accepted() -> None:
    """The tour's comment shows `agentmake out=...` overriding a variable: that very override loads (it showed
    `out=/tmp/x`, an output directory outside the project, which is refused)."""
    repo = Path(__file__).resolve().parent.parent
    shown = re.search(r"`agentmake (out=\S+)` overrides", (repo / "Agentfile.example").read_text())
    assert shown is not None
    result = subprocess.run(
        [sys.executable, "-m", "agentmake", "check", "-f", "Agentfile.example", shown.group(1)],
        cwd=repo, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_help_wraps_to_columns_without_shutil(tmp_path: Path) -> None:
    """--help is as wide as COLUMNS says (argparse's own rule, which it would import shutil for)."""

    def helptext(columns: str) -> list[str]:
        env = {**os.environ, "COLUMNS": columns}
        out = subprocess.run(
            [sys.executable, "-m", "agentmake", "--help"], capture_output=True, text=True, env=env, timeout=30
        )
        assert out.returncode == 0, out.stderr
        return out.stdout.splitlines()

    narrow, wide = helptext("50"), helptext("200")
    whole = "targets, VAR=value overrides, or a command first"  # an option's help: argparse wraps those
    assert any(whole in line for line in wide)
    assert not any(whole in line for line in narrow) and any("VAR=value" in line for line in narrow)
    options = [line for line in narrow if line.startswith("  -")]
    assert options and max(len(line) for line in options) <= 50


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-q", "clean"], "-q is an option of `agentmake build / report`, not of `clean`"),
        (["watch", "-n"], "-n is an option of `agentmake build / report / clean`, not of `watch`"),
        (["init", "-n"], "-n is an option of `agentmake build / report / clean`, not of `init`"),
        (["status", "-B"], "-B is an option of `agentmake build / report / watch`, not of `status`"),
    ],
)
def test_build_options_are_refused_by_commands_that_would_ignore_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    # `clean -q` used to remove every output (and `clean -n --cache` empty the paid-for cache too)
    (tmp_path / "Agentfile").write_text('agent a:\n    outputs = a.txt\n    run = "echo a > {output}"\n')
    assert main(["-C", str(tmp_path), "-s"]) == 0
    assert main(["-C", str(tmp_path), *argv]) == 2
    assert message in capsys.readouterr().err
    assert (tmp_path / "a.txt").read_text() == "a\n"  # nothing was done
    assert not (tmp_path / "prompts").exists()


def test_clean_dry_run_says_what_it_would_remove_and_removes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Agentfile").write_text(
        'agent a:\n    outputs = a.txt\n    run = "echo a > {output}"\n'
        'agent b:\n    outputs = b.txt\n    run = "echo b > {output}"\n'
    )
    assert main(["-C", str(tmp_path), "-s"]) == 0
    (tmp_path / "b.txt").write_text("edited\n")
    capsys.readouterr()
    with Store.open(tmp_path):  # a build holds the lock: a dry run, which changes nothing, is not refused
        assert main(["-C", str(tmp_path), "clean", "-n", "--cache"]) == 0
    out = capsys.readouterr().out
    assert "would remove a.txt\n" in out
    assert "would remove b.txt (not as agentmake made it: a copy would be saved)" in out
    assert (
        "agentmake: would remove 2 outputs; would empty the cache, dropping 2 cached results: a build would"
        " then call the agent again where it would have restored one of them (dry run)"
    ) in out
    assert (tmp_path / "a.txt").read_text() == "a\n" and (tmp_path / "b.txt").read_text() == "edited\n"
    assert not (tmp_path / ".agentmake" / "edited").exists()
    (tmp_path / "a.txt").unlink()
    assert main(["-C", str(tmp_path)]) == 0
    assert "0 ran, 1 cached" in capsys.readouterr().out  # the cache was not emptied


@pytest.mark.parametrize(
    "command", [["build"], ["check"], ["list"], ["status"], ["clean"], ["graph"], ["report"]]
)
def test_every_command_says_the_same_when_there_is_no_agentfile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    assert main(["-C", str(tmp_path), *command]) == 2
    err = capsys.readouterr().err
    init = f"agentmake -C {shlex.quote(str(tmp_path))} init"  # (the -C given: copied, it runs there)
    assert f"no Agentfile in {tmp_path} (use -f FILE or -C DIR, or run `{init}` to create one)" in err


def test_check_warns_of_gemini_agents_with_no_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # RUNNERS.md: pin -m, gemini's auto router makes extra calls
    (tmp_path / "Agentfile").write_text(
        'agent a:\n    outputs = a.md\n    prompt = "hi"\n    runner = gemini\n'
        'agent b:\n    outputs = b.md\n    prompt = "hi"\n    runner = gemini\n    model = gemini-2.5-pro\n'
    )
    assert main(["-C", str(tmp_path), "check"]) == 0
    err = capsys.readouterr().err
    assert "agentmake: warning: a: gemini with no model" in err and "b:" not in err


def test_check_warns_of_a_model_its_runner_cannot_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a runner with no model_flag never gives the CLI the model, yet a change of it reruns the agent: say so
    (tmp_path / "Agentfile").write_text(
        'runner mine:\n    command = "mytool"\n    model = big\n'
        'runner flagged:\n    command = "mytool"\n    model_flag = --model\n    model = big\n'
        'agent a:\n    outputs = a.md\n    prompt = "hi"\n    runner = mine\n'
        'agent b:\n    outputs = b.md\n    prompt = "hi"\n    runner = flagged\n'
        'agent c:\n    outputs = c.md\n    prompt = "hi"\n    runner = claude\n    model = opus\n'
        'agent d:\n    outputs = d.md\n    run = "echo > {output}"\n'
    )
    assert main(["-C", str(tmp_path), "check"]) == 0
    err = capsys.readouterr().err.splitlines()  # (mytool and claude are not on PATH here: warned of apart)
    warnings = [line for line in err if "warning" in line and "not found on PATH" not in line]
    assert warnings == [
        "agentmake: warning: a: model big is never passed to runner mine, which has no `model_flag`: set"
        " `model_flag` on the runner (e.g. --model), or remove `model`"
    ]


def test_check_warns_of_a_model_set_on_a_shell_agent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`model = opus` in a shell agent's block is taken without effect (no model is called): said. A
    project-wide `model` reaches shell agents too, unsaid: it is meant for the LLM agents."""
    (tmp_path / "Agentfile").write_text(
        'model = opus\nagent a:\n    outputs = a.md\n    run = "echo > {output}"\n'
        'agent b:\n    outputs = b.md\n    model = opus\n    run = "echo > {output}"\n'
    )
    assert main(["-C", str(tmp_path), "check"]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert warnings == [
        "agentmake: warning: b: `model` is set on a shell agent (`run = ...`), which calls no model:"
        " it has no effect; remove it, or give the agent a `prompt` to have an LLM run it"
    ], warnings


def test_the_commands_that_only_look_write_nothing_in_a_project_never_built(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a dry run, status or explain in a fresh checkout made .agentmake/ (a state database, a .gitignore)
    (tmp_path / "src").mkdir()
    (tmp_path / "src/a.txt").write_text("a\n")
    (tmp_path / "Agentfile").write_text(
        'agent up:\n    inputs = src/{n}.txt\n    outputs = out/{n}.txt\n    run = "cp {input} {output}"\n'
    )
    for args in (["-n"], ["-q"], ["status"], ["status", "--json"], ["explain", "up:a"], ["clean", "-n"]):
        assert main(["-C", str(tmp_path), *args]) in (0, 1), args
        assert sorted(p.name for p in tmp_path.iterdir()) == ["Agentfile", "src"], args
    assert "would run up:a: never built" in capsys.readouterr().out
    assert main(["-C", str(tmp_path), "-s"]) == 0
    assert (tmp_path / "out/a.txt").read_text() == "a\n" and (tmp_path / ".agentmake/state.db").exists()


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "1e400"])
def test_a_budget_that_is_no_amount_is_refused_on_the_command_line_as_in_the_agentfile(
    tmp_path: Path, value: str
) -> None:
    # `budget = inf` in an Agentfile was refused while `--budget inf` (or 1e400, which is inf) was taken
    with pytest.raises(UsageError, match="--budget must be a non-negative amount"):
        parse(["-C", str(tmp_path), "--budget", value])


def test_a_negative_budget_is_quoted_as_typed_not_as_a_float(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:  # (it said "not -1.0" of `--budget -1`)
        parse(["-C", str(tmp_path), "--budget", "-1"])
    assert str(info.value) == "--budget must be a non-negative amount, not -1"


def test_a_directory_given_with_dots_is_shown_without_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "b"
    (tmp_path / "a").mkdir()
    project.mkdir()
    (project / "x.txt").write_text("x\n")
    (project / "Agentfile").write_text(
        'agent a:\n    inputs = x.txt\n    outputs = out/a.txt\n    run = "cp {input} {output}"\n'
        "report r:\n    inputs = out/a.txt\n    output = R.md\n"
    )
    assert main(["-C", str(tmp_path / "a" / ".." / "b" / "."), "report", "-s"]) == 0
    assert f"report r: {project / 'R.md'}\n" in capsys.readouterr().out
    link = tmp_path / "link"
    link.symlink_to(project / "out")  # link/.. is the project, not tmp_path: kept as given
    assert project_directory(str(link / "..")) == link / ".."
    assert project_directory(str(tmp_path / "a" / ".." / "b")) == project


REPORTS = """\
agent scan:
    outputs = scan.txt
    run     = "echo scan > {output}"

report review:
    inputs = scan.txt
    output = REVIEW.md
"""


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("nope", "agentmake: error: no report named 'nope' (reports: review)\n"),
        ("reveiw", "agentmake: error: no report named 'reveiw'; did you mean 'review'?\n"),
        ("scan", "agentmake: error: no report named 'scan': it is an agent (`agentmake scan` builds it)\n"),
    ],
)
def test_report_of_an_unknown_name_says_what_the_reports_are(tmp_path: Path, name: str, said: str) -> None:
    (tmp_path / "Agentfile").write_text(REPORTS)
    result = subprocess.run(
        [sys.executable, "-m", "agentmake", "report", name], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 2 and result.stderr == said


@pytest.mark.parametrize("target", ["REVIEW.md", "./REVIEW.md", "ABSOLUTE"])
def test_report_takes_a_reports_output_as_every_command_takes_a_path(
    tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Agentfile").write_text(REPORTS)
    target = str(tmp_path / "REVIEW.md") if target == "ABSOLUTE" else target
    assert main(["-C", str(tmp_path), "report", "-s", target]) == 0
    assert capsys.readouterr().out.endswith(f"\nreport review: {tmp_path / 'REVIEW.md'}\n")
    assert (tmp_path / "REVIEW.md").is_file()


def test_report_of_an_agents_output_is_still_no_report(tmp_path: Path) -> None:
    (tmp_path / "Agentfile").write_text(REPORTS)
    argv = [sys.executable, "-m", "agentmake", "report", "scan.txt"]
    result = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 2
    said = "no report named 'scan.txt': it is an output of scan (`agentmake scan.txt` builds it)"
    assert result.stderr == f"agentmake: error: {said}\n"


def test_clean_removes_the_directories_it_leaves_empty_and_keeps_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # build/deep/a.txt and build/b.txt: cleaning both leaves build/ empty, so it goes; out/ also holds a file
    # of the user's, so it stays (with that file); a dry run removes no directory, and both say which go
    # (they said nothing of the directories: `clean -n` did not tell all it would remove)
    (tmp_path / "Agentfile").write_text(
        'agent a:\n    outputs = build/deep/a.txt\n    run = "echo a > {output}"\n'
        'agent b:\n    outputs = build/b.txt\n    run = "echo b > {output}"\n'
        'agent c:\n    outputs = out/c.txt\n    run = "echo c > {output}"\n'
    )
    assert main(["-C", str(tmp_path), "-s"]) == 0
    (tmp_path / "out/notes.md").write_text("mine\n")
    capsys.readouterr()
    assert main(["-C", str(tmp_path), "clean", "-n"]) == 0
    assert (tmp_path / "build/deep").is_dir()
    dry = capsys.readouterr().out.splitlines()
    assert "would remove build/deep/ (left empty)" in dry and "would remove build/ (left empty)" in dry, dry
    assert not any("out/ " in line for line in dry), dry
    assert dry[-1] == "agentmake: would remove 3 outputs and 2 directories left empty (dry run)", dry
    assert main(["-C", str(tmp_path), "clean"]) == 0
    assert not (tmp_path / "build").exists()
    said = capsys.readouterr().out.splitlines()
    assert said[-1] == "agentmake: removed 3 outputs and 2 directories left empty", said
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["notes.md"]
    assert main(["-C", str(tmp_path), "-s"]) == 0  # and a build makes them again
    assert (tmp_path / "build/deep/a.txt").read_text() == "a\n"


DASHED = """\
agent dash:
    inputs  = in.txt
    outputs = -notes.md
    run     = "cp {input} {output}"
"""


def _am(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentmake", *args], cwd=project, capture_output=True, text=True, timeout=60
    )


def test_double_dash_ends_options_for_every_command_that_takes_names(tmp_path: Path) -> None:
    """Words after `--` are targets (or VAR=value), never options: `agentmake -- -x` said "unrecognized
    arguments: -x" unless another word came before the `--`."""
    (tmp_path / "Agentfile").write_text(DASHED)
    (tmp_path / "in.txt").write_text("hi\n")
    built = _am(tmp_path, "--", "-notes.md")
    assert built.returncode == 0, built.stderr
    assert built.stdout.startswith("agentmake: 1 ran,") and (tmp_path / "-notes.md").read_text() == "hi\n"
    for args, said in [
        (["-n", "--", "-notes.md"], "1 up to date (dry run)"),
        (["-s", "--", "-notes.md"], "0 ran, 0 cached, 1 up to date"),
        (["build", "--", "-notes.md"], "1 up to date"),
        (["explain", "--", "-notes.md"], "-notes.md [dash] is up to date"),
        (["status", "--", "-notes.md"], "-notes.md"),
        (["graph", "--", "-notes.md"], "dash"),
        (["clean", "-n", "--", "-notes.md"], "would remove -notes.md"),
    ]:
        run = _am(tmp_path, *args)
        assert run.returncode == 0 and said in run.stdout, (args, run.stdout, run.stderr)
    # after `--` a word naming a command or an option is a target, and VAR=value still sets a variable
    assert "unknown target 'list'" in _am(tmp_path, "--", "list").stderr
    assert "unknown target '-s'" in _am(tmp_path, "--", "-notes.md", "-s").stderr
    command, ns, req = parse(["-C", str(tmp_path), "watch", "-k", "--", "-notes.md", "x=1", "-j"])
    assert command == "watch" and ns.keep_going and not ns.jobs
    assert req.targets == ["-notes.md", "-j"] and req.overrides == {"x": "1"}  # type: ignore[attr-defined]
    # without it, the error says where such a target goes
    refused = _am(tmp_path, "-s", "-notes")
    assert refused.returncode == 2
    assert "a target that starts with '-' goes after '--': agentmake -s -- -notes" in refused.stderr


@pytest.mark.parametrize(
    ("args", "word", "hint"),
    [
        (["-notes.md"], "-notes.md", "agentmake -- -notes.md"),  # (-n is an option: argparse named it)
        (["-s", "-xyz"], "-xyz", "agentmake -s -- -xyz"),
        (["-q-s"], "-q-s", "agentmake -- -q-s"),
        (["-kj4", "-notes"], "-notes", "agentmake -kj4 -- -notes"),  # (-kj4 is -k -j 4: not the word meant)
        (["explain", "-notes.md"], "-notes.md", "agentmake explain -- -notes.md"),
        (
            ["-C", "x", "status", "-v", "-notes.md"],
            "-notes.md",
            "agentmake -C x status -v -- -notes.md",
        ),  # (ux27: -v kept)
    ],
)
def test_a_single_dash_word_that_is_no_option_is_named_with_where_it_goes(
    args: list[str], word: str, hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A word with one '-' that is not a cluster of agentmake's short options (`-kj4` is -k -j 4) is told as
    such, in the same words on every Python (argparse said "argument -n/--dry-run: ignored explicit argument
    'otes.md'" up to 3.12 and "unrecognized arguments: -otes.md" in 3.13), with the command that builds it."""
    with pytest.raises(SystemExit) as stopped:
        parse(args)
    assert stopped.value.code == 2
    err = capsys.readouterr().err.splitlines()[-1]
    assert (
        err
        == f"agentmake: error: unknown option {word} (a target that starts with '-' goes after '--': {hint})"
    )


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--budget", "abc"], "argument --budget: an amount in US dollars (--budget 0.50), not 'abc'"),
        (["--budget", "$5"], "argument --budget: an amount in US dollars (--budget 0.50), not '$5'"),
        (["-j", "four"], "argument -j/--jobs: a whole number of tasks at once (-j 4), not 'four'"),
    ],
)
def test_an_option_value_of_the_wrong_kind_says_what_it_takes_with_an_example(
    tmp_path: Path, args: list[str], said: str
) -> None:
    """(newuser3) `--budget abc` said `invalid float value: 'abc'`, in Python's words, not what to write."""
    proc = subprocess.run(
        [sys.executable, "-m", "agentmake", "-C", str(tmp_path), *args], capture_output=True, text=True
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc
    assert proc.stderr.splitlines()[-1] == f"agentmake: error: {said}", proc.stderr


def test_explain_without_a_target_and_init_over_a_project_say_what_to_do(tmp_path: Path) -> None:
    """(newuser3) `agentmake explain` said only that it needs a TARGET, and `init` in a project only that
    the Agentfile exists; each now says what to do next, and the way it names works."""
    (tmp_path / "Agentfile").write_text('agent up:\n    outputs = out.txt\n    run = "echo > {output}"\n')

    def am(*args: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "agentmake", "-C", str(tmp_path), *args]
        return subprocess.run(argv, capture_output=True, text=True, cwd=tmp_path)

    explain = am("explain")
    listing = f"agentmake -C {shlex.quote(str(tmp_path))} list"  # (the -C given, kept)
    assert explain.returncode == 2 and f"(`{listing}` names them)" in explain.stderr, explain
    assert "up" in am("list").stdout
    init = am("init")
    assert init.returncode == 2 and "`agentmake init -f NEWDIR/Agentfile`" in init.stderr, init
    assert am("init", "-f", "new/Agentfile").returncode == 0 and (tmp_path / "new/Agentfile").is_file()
