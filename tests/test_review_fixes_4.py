"""Review fixes, round 4: command placeholders checked at load time, a raising check leaves no staged file,
check-failure messages name declared outputs, `agentmake check` compiles prompt templates."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import RunnerProject

from agentmake.errors import AgentfileError
from agentmake.model import Check
from agentmake.project import check_summary
from agentmake.syntax import load_agentfile

SHELL_AGENT = """\
agent a:
    inputs = in/{{n}}.txt
    outputs = out/{{n}}.txt
    run = {run}
{extra}"""


def _load(tmp_path: Path, text: str, files: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    (tmp_path / "in").mkdir(exist_ok=True)
    (tmp_path / "in/x.txt").write_text("x")
    for rel, content in (files or {}).items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(content)
    (tmp_path / "Agentfile").write_text(text)
    return load_agentfile(tmp_path / "Agentfile", {})


# -- 1a: placeholders in run/check are checked when the Agentfile is loaded
@pytest.mark.parametrize(
    ("run", "extra", "line", "needle"),
    [
        ("cp {input} {output}", '    check = "test -s {ouput}"\n', 5, "{ouput}"),
        ("cp {input} {outptu}", "", 4, "{outptu}"),
        ('"echo { > {output}"', "", 4, "unmatched '{'"),
        ("cp {input} {m}", "", 4, "{m}"),  # a wildcard the agent does not have
    ],
)
def test_bad_command_placeholder_is_a_located_load_error(
    tmp_path: Path, run: str, extra: str, line: int, needle: str
) -> None:
    with pytest.raises(AgentfileError) as exc:
        _load(tmp_path, SHELL_AGENT.format(run=run, extra=extra))
    err = exc.value
    assert needle in err.message
    assert err.loc is not None and err.loc.line == line
    assert err.source_line is not None and ("check" if line == 5 else "run") in err.source_line


def test_good_command_placeholders_still_load(tmp_path: Path) -> None:
    af = _load(
        tmp_path,
        SHELL_AGENT.format(
            run="cat {inputs} > {output} && echo {n} {{literal}}", extra='    check = "test -s {outputs}"\n'
        ),
    )
    assert af.agents["a"].run is not None and "{n}" in af.agents["a"].run


# -- 1b: a check that raises must not leave a staged file behind
def test_raising_check_discards_staged_outputs(project: RunnerProject) -> None:
    task = project.agent("a", check=Check("command", "test -s {ouput}"))
    res = project.run(task, "hello")
    assert res.outcome == "fatal" and res.error_type == "usage"
    assert "{ouput}" in res.message
    assert res.staged == {}
    assert not list(project.root.rglob("*agentmake-tmp*")), "the staged answer was left in the project"


# -- 2: a failed check names declared outputs, not deleted staged files
def test_check_failure_message_names_the_declared_output(project: RunnerProject) -> None:
    check = Check("command", 'grep -q NOPE {output} || (echo "bad: $(pwd)/{output}" >&2; exit 1)')
    res = project.run(project.agent("a", ("sub/out.md",), check=check), "hello")
    assert res.outcome == "retry" and res.error_type == "check"
    assert "agentmake-tmp" not in res.message, res.message
    assert "sub/out.md" in res.message
    assert f"bad: {project.root}/sub/out.md" in res.message


# -- 3: `agentmake check` compiles prompt templates
PROMPT_AGENT = """\
agent a:
    inputs = in/{n}.txt
    outputs = out/{n}.txt
    prompt = PROMPT
"""


def test_check_reports_inline_prompt_syntax_error(tmp_path: Path) -> None:
    af = _load(tmp_path, PROMPT_AGENT.replace("PROMPT", '"{{ foo "'))
    with pytest.raises(AgentfileError) as exc:
        check_summary(af)
    assert "template syntax error" in exc.value.message
    assert exc.value.loc is not None and exc.value.loc.line == 4 and exc.value.exit_code == 2


def test_check_reports_prompt_file_syntax_error_at_its_line(tmp_path: Path) -> None:
    af = _load(
        tmp_path,
        PROMPT_AGENT.replace("PROMPT", "prompts/p.md"),
        {"prompts/p.md": "fine {{ input }}\n{% for x in inputs %}\nno endfor\n"},
    )
    with pytest.raises(AgentfileError) as exc:
        check_summary(af)
    assert exc.value.loc is not None and exc.value.loc.file == "prompts/p.md"
    assert "template syntax error" in exc.value.message


def test_check_reports_merge_prompt_and_report_template_syntax_errors(tmp_path: Path) -> None:
    report = 'report r:\n    inputs = out/*.txt\n    output = r.md\n    merge = "{% if %}"\n'
    af = _load(tmp_path, PROMPT_AGENT.replace("PROMPT", '"ok {{ input }}"') + report)
    with pytest.raises(AgentfileError, match="template syntax error"):
        check_summary(af)
    report = "report r:\n    inputs = out/*.txt\n    output = r.md\n    template = t.md\n"
    af = _load(tmp_path, PROMPT_AGENT.replace("PROMPT", '"ok"') + report, {"t.md": "a\n{{ x }\n"})
    with pytest.raises(AgentfileError) as exc:
        check_summary(af)
    assert exc.value.loc is not None and (exc.value.loc.file, exc.value.loc.line) == ("t.md", 2)


@pytest.mark.usefixtures("fake_agents")  # (its runner on PATH: else `— not buildable here`)
def test_check_refuses_a_prompt_name_undefined_unless_given_on_the_command_line(tmp_path: Path) -> None:
    # (check once let undefined names through, as "depending on each task's values"; but the names a prompt
    # sees are the variables, the agent's wildcards and fixed ones: every task would fail to render)
    af = _load(tmp_path, PROMPT_AGENT.replace("PROMPT", '"{{ not_defined_anywhere }}"'))
    with pytest.raises(AgentfileError, match="undefined name: 'not_defined_anywhere'"):
        check_summary(af)
    af = load_agentfile(tmp_path / "Agentfile", {"not_defined_anywhere": "given"})  # VAR=value
    assert check_summary(af).endswith("ok")
