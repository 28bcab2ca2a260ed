"""Agentfiles that loaded, or crashed, where they should have been refused with a located error (exit 2):
found by fuzzing the loader. Each case is refused by `agentmake check`, before anything runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentmake.cli import main
from agentmake.syntax.load import load_agentfile


def check(root: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """`agentmake check` must refuse the project with exit 2 and a located error, never a traceback."""
    code = main(["-C", str(root), "check"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    return err


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def test_an_include_loop_through_a_parent_directory_is_a_loop(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "sub").mkdir()
    write(tmp_path, {"Agentfile": 'include "sub/../Agentfile"\n'})
    err = check(tmp_path, capsys)  # (before: an endless include, then OSError "File name too long")
    assert "Agentfile:1:9: error: include loop" in err


@pytest.mark.parametrize(
    ("path", "problem"), [("x" * 300, "cannot be read"), ("sub", "is a directory"), ("nope.af", "not found")]
)
def test_an_include_that_cannot_be_read_is_located(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], path: str, problem: str
) -> None:
    (tmp_path / "sub").mkdir()
    write(tmp_path, {"Agentfile": f'jobs = 2\ninclude "{path}"\n'})
    err = check(tmp_path, capsys)
    assert f"Agentfile:2:9: error: included file '{path}' {problem}" in err


def test_includes_nested_too_deep_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, {f"i{n}.af": f'include "i{n + 1}.af"\n' for n in range(150)})
    write(tmp_path, {"Agentfile": 'include "i0.af"\n', "i150.af": "jobs = 2\n"})
    err = check(tmp_path, capsys)  # (a chain of about 1,000 was a RecursionError)
    assert "includes nested over 100 deep" in err


@pytest.mark.parametrize("kind", ["device", "fifo"])
def test_a_prompt_that_is_not_a_regular_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    if kind == "fifo":
        os.mkfifo(tmp_path / "p.md")  # reading it would block forever
        prompt = "p.md"
    else:
        prompt = "/dev/zero"  # reading it would fill the memory
    write(tmp_path, {"Agentfile": f"agent a:\n    prompt = {prompt}\n    outputs = a.md\n"})
    err = check(tmp_path, capsys)
    assert f"Agentfile:2:14: error: cannot read prompt file '{prompt}'" in err
    assert "not a regular file" in err


@pytest.mark.parametrize("text", ['model = "${model"\n', 'x = "a"\ny = "Translate into ${x and more"\n'])
def test_an_unclosed_variable_reference_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    write(tmp_path, {"Agentfile": text})
    err = check(tmp_path, capsys)  # (before: kept as literal text, and sent in a prompt)
    assert "error: '${' is never closed" in err
    assert "$${" in err  # how to write a literal one


def test_many_unclosed_references_are_one_error_not_a_long_scan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        tmp_path, {"Agentfile": "x = " + "${" * 100_000 + "\n"}
    )  # (took minutes: every `${` scanned the line)
    assert "Agentfile:1:5: error: '${' is never closed" in check(tmp_path, capsys)


@pytest.mark.parametrize(
    ("output", "files", "message"),
    [
        ("Agentfile", {}, "output 'Agentfile' is a file agentmake reads to load the Agentfile"),
        ("p.md", {"p.md": "say hi\n"}, "output 'p.md' is a file agentmake reads to load the Agentfile"),
        (
            "inc.af",
            {"inc.af": "jobs = 2\n"},
            "output 'inc.af' is a file agentmake reads to load the Agentfile",
        ),
        ("out/" + "x" * 240 + ".txt", {}, "has a name too long for the filesystem"),
        ("src", {"src/a.txt": "a\n"}, "output 'src' is a directory"),
    ],
)
def test_outputs_a_build_could_not_or_must_not_write_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], output: str, files: dict[str, str], message: str
) -> None:
    include = 'include "inc.af"\n' if "inc.af" in files else ""
    write(tmp_path, {**files, "in.txt": "x\n"})
    agent = f'agent a:\n    inputs = in.txt\n    outputs = {output}\n    run = "cp {{input}} x"\n'
    write(tmp_path, {"Agentfile": include + agent})
    if output == "p.md":  # a prompt file of another agent
        (tmp_path / "Agentfile").write_text(
            (tmp_path / "Agentfile").read_text() + "agent b:\n    prompt = p.md\n    outputs = b.md\n"
        )
    err = check(tmp_path, capsys)
    assert message in err
    assert "Agentfile:" in err  # located at the agent's outputs


def test_an_output_that_is_the_directory_of_another_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = 'agent a:\n    outputs = out\n    run = "touch {output}"\n'
    write(tmp_path, {"Agentfile": a + 'agent b:\n    outputs = out/b.txt\n    run = "touch {output}"\n'})
    err = check(tmp_path, capsys)
    assert (
        "Agentfile:2:15: error: agent 'a' output 'out' is the directory of another output, 'out/b.txt'" in err
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('run = ""', "the command is empty"),
        ('prompt = ""', "the prompt is empty"),
        ("prompt = p.md", "prompt file 'p.md' is empty"),
    ],
)
def test_an_empty_command_or_prompt_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str, message: str
) -> None:
    write(tmp_path, {"p.md": "  \n", "Agentfile": f"agent a:\n    outputs = a.md\n    {value}\n"})
    err = check(tmp_path, capsys)
    assert "Agentfile:3:" in err and message in err


def test_the_quoted_line_is_right_after_a_form_feed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, {"Agentfile": 'x = "a\fb"\ny = 1\nz = ${nope}\n'})
    err = check(tmp_path, capsys)
    assert "Agentfile:3:5: error: unknown variable 'nope'" in err
    assert "z = ${nope}" in err and "y = 1" not in err


def test_a_runner_may_name_as_base_a_runner_declared_after_it(tmp_path: Path) -> None:
    write(tmp_path, {"Agentfile": 'runner r:\n    base = s\n    model = "m2"\nrunner s:\n    base = claude\n'
                                  '    model = "m1"\n    parallel = 3\n'})  # fmt: skip
    af = load_agentfile(tmp_path / "Agentfile")
    assert (af.runners["r"].model, af.runners["r"].parallel, af.runners["r"].base) == ("m2", 3, "s")


def test_runners_that_are_each_others_base_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, {"Agentfile": "runner r:\n    base = s\nrunner s:\n    base = r\n"})
    assert "error: runners are each other's base: r -> s -> r" in check(tmp_path, capsys)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {"p.md": "Intro\n{% include 'shared.md' %}\n"},
            "p.md:2:1: error: {% include %} is not supported",
        ),
        (
            {"rep.j2": "{%- extends 'base.j2' %}\n"},
            "rep.j2:1:1: error: report template: {% extends %} is not supported",
        ),
        ({}, "Agentfile:4:15: error: inline prompt: {% import %} is not supported"),
    ],
)
def test_a_template_that_would_load_another_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], files: dict[str, str], message: str
) -> None:
    # the other file would not be in the task's key (and, with no loader, the task failed at build time)
    prompt = "p.md" if "p.md" in files else "\"{% import 'm.j2' as m %}{{ m.x }}\""
    text = f"agent a:\n    inputs = in.txt\n    outputs = a.md\n    prompt = {prompt}\n"
    if "rep.j2" in files:
        text = "report r:\n    inputs = in.txt\n    output = R.md\n    template = rep.j2\n"
    write(tmp_path, {**files, "in.txt": "x\n", "shared.md": "s\n", "base.j2": "b\n", "Agentfile": text})
    err = check(tmp_path, capsys)
    assert message in err and "put shared text in a variable" in err


def test_an_include_inside_raw_is_literal_text(tmp_path: Path) -> None:
    write(tmp_path, {"p.md": "Explain:\n{% raw %}{% include 'x' %}{% endraw %}\n", "in.txt": "x\n"})
    write(tmp_path, {"Agentfile": "agent a:\n    inputs = in.txt\n    outputs = a.md\n    prompt = p.md\n"})
    assert load_agentfile(tmp_path / "Agentfile").agents["a"].prompt is not None


def test_an_input_index_past_the_last_of_fixed_inputs_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, {"a.txt": "a\n", "Agentfile": 'agent a:\n    inputs = a.txt\n    outputs = o.txt\n'
                                                  '    run = "cp {inputs[1]} {output}"\n'})  # fmt: skip
    err = check(tmp_path, capsys)  # (before: check passed, the task failed when it ran)
    assert "Agentfile:4:11: error: `run` of agent 'a'" in err and "past the last input" in err
    write(tmp_path, {"b.txt": "b\n", "Agentfile": 'agent a:\n    inputs = *.txt\n    outputs = o.md\n'
                                                  '    run = "cp {inputs[1]} {output}"\n'})  # fmt: skip
    assert main(["-C", str(tmp_path), "check"]) == 0  # a glob: any number of paths


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x = ${x}\n", "'x' refers to itself"),
        ("jobs = 4\nx = ${jobs}\n", "'jobs' is a setting, not a variable"),
        ("jobs = " + "9" * 5000 + "\n", "jobs is too large: '9999"),
        ("runner r:\n    base = claude\nrunner r:\n    base = codex\n", "duplicate name 'r'"),
    ],
)
def test_loader_messages_say_what_is_wrong(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    write(tmp_path, {"Agentfile": text})
    err = check(tmp_path, capsys)
    assert message in err
    assert "9" * 100 not in err.splitlines()[0]  # the message does not print a huge number whole
    assert "namespace" not in err  # (the agent/report hint, about runners)
    assert "assigned later" not in err


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("runner=nope", "command line runner=nope: unknown runner 'nope'"),
        ("default=nope", "command line default:"),
    ],
)
def test_a_bad_setting_from_the_command_line_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], override: str, message: str
) -> None:
    write(tmp_path, {"Agentfile": 'agent a:\n    outputs = a.txt\n    run = "touch {output}"\n'})
    assert main(["-C", str(tmp_path), "check", override]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ("inputs = (\n        a.txt\n        missing.txt\n    )\n    outputs = o.txt", "Agentfile:4:9:"),
        ("inputs = a.txt   missing.txt\n    outputs = o.txt", "Agentfile:2:22:"),
        ("inputs = a.txt\n    outputs = o.txt   ../b.txt", "Agentfile:3:23:"),
        ("inputs = a.txt nothing/*.md\n    outputs = o.txt", "Agentfile:2:20:"),
    ],
)
def test_an_error_about_one_path_of_a_list_points_at_that_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str, where: str
) -> None:
    write(tmp_path, {"a.txt": "a\n", "Agentfile": f'agent x:\n    {value}\n    run = "touch {{outputs}}"\n'})
    err = check(tmp_path, capsys)
    assert where in err, err  # (before: the first path of the list)


# -- what rendering would refuse for every task: check says so, not the build ------------------------------


def test_check_refuses_a_prompt_name_no_task_defines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, {"Agentfile": 'agent x:\n    outputs = b.txt\n    prompt  = "hi {{ nme }}"\n'})
    err = check(tmp_path, capsys)
    assert "Agentfile:3:" in err and "undefined name: 'nme' is undefined" in err


def test_check_says_which_name_a_misspelt_one_may_be(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A misspelt variable in a prompt (`{{ lnag }}` for lang) gets a did-you-mean, as on the command line."""
    write(
        tmp_path,
        {"Agentfile": 'lang = French\nagent x:\n    outputs = b.txt\n    prompt  = "in {{ lnag }}"\n'},
    )
    err = check(tmp_path, capsys)
    assert "undefined name: 'lnag' is undefined" in err and "did you mean 'lang'?" in err, err


def test_check_accepts_every_name_a_prompt_may_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompt = (
        "{% set z = 2 %}{{ lang }} {{ name }} {{ z }} {{ read(input) }} {{ inputs|length }} {{ output }}"
        " {{ outputs }} {% for f in files %}{{ f.path }} {{ loop.index }}{% endfor %} {{ range(3)|list }}"
    )
    agentfile = (
        'lang = "English"\n\nagent x:\n    inputs  = docs/{name}.md\n    outputs = out/{name}.md\n'
        f'    prompt  = """\n{prompt}\n"""\n'
    )
    write(tmp_path, {"Agentfile": agentfile, "docs/a.md": "a\n"})
    assert main(["-C", str(tmp_path), "check"]) == 0, capsys.readouterr().err


def test_check_refuses_an_input_index_past_a_tasks_inputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = 'run     = "cat {inputs[5]} > {output}"'
    agentfile = f"agent y:\n    inputs  = in/*.txt\n    outputs = all.txt\n    {run}\n"
    write(tmp_path, {"Agentfile": agentfile, "in/a.txt": "a\n", "in/b.txt": "b\n"})
    err = check(tmp_path, capsys)
    assert "Agentfile:4:" in err and "'{inputs[5]}' is past the last input: this task has 2 inputs" in err


def test_a_misspelt_setting_taken_as_a_variable_is_pointed_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    agentfile = """\
jbos = 4
retry = 3
job = "x"
models = "m"
default_lang = "fr"

agent b:
    outputs = p.txt
    prompt  = "Use {{ models }}."

agent a:
    outputs = o.txt
    run     = "echo ${job} > {output}"
"""
    write(tmp_path, {"Agentfile": agentfile})
    assert main(["-C", str(tmp_path), "check"]) == 0
    err = capsys.readouterr().err
    assert "Agentfile:1) is taken as a variable, not a setting: did you mean 'jobs'?" in err
    assert "Agentfile:2) is taken as a variable, not a setting: did you mean 'retries'?" in err
    assert "'job'" not in err and "'models'" not in err  # read by a command and a prompt: meant
    assert "default_lang" not in err  # a word of its own
    assert main(["-C", str(tmp_path), "-s", "a"]) == 0  # a build says so too (once)
    assert capsys.readouterr().err.count("did you mean 'jobs'?") == 1


def test_a_misspelt_attribute_of_an_input_file_is_said_as_a_file_not_a_python_class(tmp_path: Path) -> None:
    """`{{ files[0].contnet }}` fails its task (check cannot know `files` is not empty): the message speaks
    of an input file and its `.content`, not of 'agentmake.templates.InputFile object'."""
    write(tmp_path, {
        "docs/a.md": "hi\n",
        "p.md": "Say:\n{{ files[0].contnet }}\n",
        "Agentfile": "agent t:\n    prompt = p.md\n    inputs = docs/{n}.md\n    outputs = out/{n}.md\n",
    })  # fmt: skip
    run = subprocess.run(
        [sys.executable, "-m", "agentmake", "-n"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    said = run.stdout + run.stderr
    assert "p.md:2:" in said and "an input file has no '.contnet': did you mean 'content'?" in said, said
    assert "InputFile" not in said, said
