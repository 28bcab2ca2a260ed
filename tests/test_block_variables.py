"""Variables an `agent` or `report` block sets for itself (`focus = "security"` under the block), make's
target-specific variables: one prompt, three reviewers. Real loads, and real builds with the fake claude."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import textwrap
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.cli import main
from agentmake.errors import AgentfileError
from agentmake.graph import Graph, build_graph
from agentmake.graph.compare import same_plan
from agentmake.model import Agentfile
from agentmake.syntax.load import load_agentfile

REVIEWERS = """\
focus = "code quality"
tone = "terse"

agent quality:
    prompt = review.md
    inputs = src/a.py
    outputs = reviews/quality.md

agent security:
    prompt = review.md
    inputs = src/a.py
    outputs = reviews/security.md
    focus = "security"

agent perf:
    prompt = review.md
    inputs = src/a.py
    focus = "performance"
    outputs = reviews/${focus}.md
"""

PROMPT = "FAKE: label={{ focus | replace(' ', '-') }}\nReview {{ input }} for {{ focus }}.\n"


def load(root: Path, agentfile: str, overrides: dict[str, str] | None = None) -> Agentfile:
    (root / "Agentfile").write_text(textwrap.dedent(agentfile))
    return load_agentfile(root / "Agentfile", overrides)


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e = E2E(tmp_path / "proj", fake_agents)
    e.write("src/a.py", "print(1)\n")
    e.write("review.md", PROMPT)
    e.write("Agentfile", REVIEWERS)
    return e


# loading


def test_a_block_sets_a_declared_variable_for_itself_and_its_later_lines(tmp_path: Path) -> None:
    af = load(
        tmp_path,
        """\
        focus = quality
        out = build

        agent a:
            description = "${out} review"
            focus = "${focus} and security"
            outputs = ${out}/${focus}.md
            prompt = "{{ focus }}"

        report r:
            inputs = build/*.md
            out = site
            output = ${out}/R.md
            title = ${focus}

        agent b:
            outputs = ${out}/${focus}.md
            prompt = "{{ focus }}"
        """,
    )
    a, r, b = af.agents["a"], af.reports["r"], af.agents["b"]
    assert a.variables == (("focus", "quality and security"),)
    assert a.description == "build review"  # (a variable the block does not set: the outer value)
    # (in a bare word a value with spaces becomes several words, as at top level)
    assert a.outputs == ("build/quality", "and", "security.md")
    assert r.variables == (("out", "site"),) and r.output == "site/R.md" and r.title == "quality"
    assert b.variables == () and b.outputs == ("build/quality.md",)
    assert af.variables == {"focus": "quality", "out": "build"}  # the top level's values are untouched


def test_the_command_line_wins_over_a_blocks_own_value(tmp_path: Path) -> None:
    text = 'focus = q\nagent a:\n    focus = s\n    outputs = out/${focus}.md\n    prompt = "{{ focus }}"\n'
    a = load(tmp_path, text, {"focus": "cli"}).agents["a"]
    assert a.variables == () and a.outputs == ("out/cli.md",)
    # a name given on the command line alone is a variable a block may set (and the command line wins)
    a = load(tmp_path, text.replace("focus = q\n", ""), {"focus": "cli"}).agents["a"]
    assert a.outputs == ("out/cli.md",)


def _error(tmp_path: Path, agentfile: str, capsys: pytest.CaptureFixture[str]) -> str:
    (tmp_path / "Agentfile").write_text(textwrap.dedent(agentfile))
    assert main(["-C", str(tmp_path), "check"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("    inptus = a.md", "did you mean 'inputs'?"),
        ("    fcous = x", "did you mean 'focus'?"),
        ("    colour = x", "to set a variable here, assign it at top level first: colour = VALUE"),
        ("    later = x", "variable 'later' is assigned below (line 7): assign it above the block"),
        ("    budget = 3", "'budget' is a setting: set it at top level"),
    ],
)
def test_a_key_that_is_neither_the_blocks_nor_a_declared_variable_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, message: str
) -> None:
    agentfile = f'focus = q\nagent a:\n    outputs = o.md\n    prompt = "x"\n{line}\n\nlater = 1\n'
    err = _error(tmp_path, agentfile, capsys)
    key = line.split()[0]
    assert f"Agentfile:5:5: error: unknown key '{key}' in agent 'a'" in err
    assert message in err
    assert "expected: description, prompt, run" in err


def test_agents_and_reports_set_variables_runners_do_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocks = 'agent a:\n    focus = x\n    outputs = o.md\n    prompt = "x"\n'
    blocks += "report r:\n    focus = y\n    inputs = o.md\n    output = R.md\n"
    err = _error(tmp_path, f"focus = q\n{blocks}runner r:\n    base = claude\n    focus = x\n", capsys)
    assert "Agentfile:12:5: error: unknown key 'focus' in runner 'r'" in err
    assert "assign it at top level" not in err


def test_a_variable_set_twice_in_a_block_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    agentfile = 'focus = q\nagent a:\n    focus = x\n    outputs = o.md\n    prompt = "x"\n    focus = y\n'
    err = _error(tmp_path, agentfile, capsys)
    assert "Agentfile:6:5: error: 'focus' is set twice in agent 'a'" in err and "first set on line 3" in err


def test_a_variable_used_above_the_line_that_sets_it_for_the_block_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # written above `focus = security`, `${focus}` would quietly name the top level's file
    agentfile = 'focus = q\nagent a:\n    prompt = "x"\n    outputs = out/${focus}.md\n    focus = security\n'
    err = _error(tmp_path, agentfile, capsys)
    assert (
        "Agentfile:4:19: error: '${focus}' is used above the line that sets 'focus' for agent 'a' (line 5)"
        in err
    )
    assert "    outputs = out/${focus}.md\n" in err and "\n                      ^\n" in err
    assert "move 'focus = ...' above line 4" in err
    # the line that sets it may extend the outer value, a line below sees the block's, and with the
    # command line setting it every line sees that one
    text = 'focus = q\nagent a:\n    prompt = "x"\n    focus = "${focus}-s"\n    outputs = out/${focus}.md\n'
    assert load(tmp_path, text).agents["a"].outputs == ("out/q-s.md",)
    assert load(tmp_path, agentfile, {"focus": "cli"}).agents["a"].outputs == ("out/cli.md",)


def test_a_block_key_wins_over_a_variable_of_the_same_name(tmp_path: Path) -> None:
    agentfile = 'description = d\nagent a:\n    description = mine\n    outputs = o.md\n    prompt = "x"\n'
    af = load(tmp_path, agentfile)
    assert af.agents["a"].description == "mine" and af.agents["a"].variables == ()


def test_agentfiles_differing_in_a_blocks_own_value_plan_different_work(tmp_path: Path) -> None:
    def graph(value: str) -> Graph:
        text = f'focus = q\nagent a:\n    outputs = o.md\n    prompt = "{{{{ x }}}}"\n    focus = {value}\n'
        return build_graph(load(tmp_path, text))

    assert same_plan(graph("s"), graph("s"))
    assert not same_plan(graph("s"), graph("t"))


def test_an_undeclared_override_is_refused_by_a_load(tmp_path: Path) -> None:
    with pytest.raises(AgentfileError) as e:
        load(tmp_path, 'agent a:\n    outputs = o.md\n    prompt = "{{ focus }}"\n    focus = s\n')
    assert e.value.loc is not None and (e.value.loc.line, e.value.loc.col) == (4, 5)
    assert e.value.hint == "to set a variable here, assign it at top level first: focus = VALUE"


# building


def test_three_reviewers_from_one_prompt_render_three_prompts_in_one_build(e2e: E2E) -> None:
    run = e2e.am()
    assert run.code == 0, run
    assert run.summary.ran == 3
    assert e2e.read(".agentmake/tasks/quality.prompt").endswith("Review src/a.py for code quality.\n")
    assert e2e.read(".agentmake/tasks/security.prompt").endswith("Review src/a.py for security.\n")
    assert e2e.read(".agentmake/tasks/perf.prompt").endswith("Review src/a.py for performance.\n")
    assert e2e.exists("reviews/performance.md")
    assert sorted(e2e.calls()) == ["code-quality", "performance", "security"]


def test_editing_one_blocks_value_reruns_that_agent_alone_and_says_which_variable(e2e: E2E) -> None:
    assert e2e.am().code == 0
    e2e.write("Agentfile", REVIEWERS.replace('focus = "security"', 'focus = "safety"'))
    dry = e2e.am("-n")
    assert "would run security: prompt review.md changed (variable focus: 'security' → 'safety')" in dry.out
    assert "1 to run, 2 up to date" in dry.out
    e2e.reset_calls()
    run = e2e.am()
    assert run.code == 0, run
    assert (run.summary.ran, run.summary.up_to_date) == (1, 2)
    assert e2e.calls() == ["safety"]
    # a change of the top-level value reruns only the agent that does not set its own
    e2e.write("Agentfile", REVIEWERS.replace('focus = "code quality"', 'focus = "style"'))
    run = e2e.am()
    assert run.with_state("done") == {"quality"} and run.summary.ran == 1, run


def test_editing_a_blocks_value_its_prompt_does_not_read_reruns_nothing(e2e: E2E) -> None:
    assert e2e.am().code == 0
    e2e.write("Agentfile", REVIEWERS.replace('focus = "security"', 'focus = "security"\n    tone = "long"'))
    run = e2e.am()
    assert run.code == 0, run
    assert (run.summary.ran, run.summary.cached, run.summary.up_to_date) == (0, 0, 3)


def test_the_command_line_wins_over_a_blocks_value_in_a_build(e2e: E2E) -> None:
    assert e2e.am("focus=cli").code == 0
    for name in ("quality", "security", "perf"):
        assert e2e.read(f".agentmake/tasks/{name}.prompt").endswith("Review src/a.py for cli.\n")
    assert e2e.exists("reviews/cli.md")


def test_a_report_template_and_a_merge_prompt_see_the_reports_own_values(e2e: E2E) -> None:
    e2e.write("page.md", "# {{ title }} ({{ variables.focus }}, {{ variables.tone }})\n")
    e2e.write(
        "Agentfile",
        REVIEWERS
        + textwrap.dedent(
            """
            report page:
                inputs = reviews/*.md
                output = PAGE.md
                template = page.md
                focus = "everything"

            report merged:
                inputs = reviews/*.md
                output = MERGED.md
                tone = "kind"
                merge = "FAKE: label=merge\\nMerge the {{ focus }} reviews, {{ tone }}."
            """
        ),
    )
    run = e2e.am("page", "merged")
    assert run.code == 0, run
    assert e2e.read("PAGE.md").startswith("# page (everything, terse)\n")
    assert e2e.read(".agentmake/tasks/merged.prompt").endswith("Merge the code quality reviews, kind.")
    e2e.write("Agentfile", e2e.read("Agentfile").replace('"everything"', '"all"'))
    run = e2e.am("page", "merged")
    assert run.with_state("done") == {"page"}, run
    assert e2e.read("PAGE.md").startswith("# page (all, terse)\n")


def test_explain_names_a_long_variable_by_its_digest_and_the_record_keeps_no_copy_of_it(e2e: E2E) -> None:
    long = "x" * 200
    e2e.write("Agentfile", f'text = "{long}"\n' + REVIEWERS.replace("for {{ focus }}", ""))
    e2e.write("review.md", PROMPT + "{{ text }}\n")
    assert e2e.am().code == 0
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake/state.db")) as db:
        (parts,) = db.execute("SELECT parts FROM tasks WHERE task_id = 'security'").fetchone()
    assert json.loads(parts)["_render"]["variables"]["text"][0] == "xxh3" and long not in parts
    e2e.write("Agentfile", e2e.read("Agentfile").replace(long, "y" * 200))
    dry = e2e.am("-n")
    assert re.search(
        r"would run security: prompt review.md changed \(variable text: \(content \w{8}\) → ", dry.out
    )


def test_list_shows_the_values_a_block_sets(e2e: E2E) -> None:
    run = e2e.am("list")
    assert run.code == 0, run
    assert '  security  [claude, 1 task]\n    with focus="security"\n' in run.out
    assert "  quality   [claude, 1 task]\n    quality   -> reviews/quality.md\n" in run.out


def test_the_example_agentfile_sets_a_variable_for_one_block_and_checks() -> None:
    repo = Path(__file__).resolve().parent.parent
    af = load_agentfile(repo / "Agentfile.example")
    assert any(a.variables for a in af.agents.values())
    assert main(["-C", str(repo), "check", "-f", "Agentfile.example"]) == 0


def test_a_prompt_whose_variables_changed_is_said_to_have_changed_once(e2e: E2E) -> None:
    e2e.write("review.md", PROMPT + "Be {{ tone }}.\n")
    assert e2e.am().code == 0
    dry = e2e.am("-n", "focus=style", "tone=kind")
    assert (
        "would run quality: prompt review.md changed "
        "(variables focus: 'code quality' → 'style', tone: 'terse' → 'kind')\n"
    ) in dry.out
    assert dry.out.count("prompt review.md changed") == 3  # (once for each of the three reviewers)
