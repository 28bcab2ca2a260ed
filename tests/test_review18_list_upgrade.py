"""A prompt that prints a list whole (`{{ inputs }}`), built by an agentmake from before lists were printed
one path a line (`template_context.PathList`, which printed `['a.md', 'b.md']`), is not run (paid for) again
after the upgrade because its render memo was missed: a variable it does not read changed. Its recorded
prompt is recognised as the same prompt in the older form (`plan.keyparts`). The older agentmake is this one
with `PathList` put back to a plain list. Real CLI runs with the fake agents."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = '''\
tone = plain

agent summarize:
    inputs = docs/*.md
    outputs = out/all.md
    prompt = """
        FAKE: label=all
        Files: {{ inputs }}
        {% for f in files %}{{ f.content }}{% endfor %}
        """

agent other:
    inputs = docs/a.md
    outputs = out/other.md
    prompt = """
        FAKE: label=other
        In a {{ tone }} tone: {{ read(input) }}
        """
'''

# agentmake as it printed lists before PathList
OLDER = (
    "import sys, agentmake.template_context as t; t.PathList = list; from agentmake.launch import main;"
    " sys.argv[0] = 'agentmake'; sys.exit(main())"
)


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE)
    e2e.write("docs/a.md", "a\n")
    e2e.write("docs/b.md", "b\n")
    older = subprocess.run(
        [sys.executable, "-c", OLDER], cwd=e2e.root, env=e2e.env(), capture_output=True, text=True, timeout=60
    )
    assert older.returncode == 0, older.stderr
    assert "['docs/a.md', 'docs/b.md']" in e2e.read("out/all.md")  # (the older form, as that build sent it)
    e2e.reset_calls()
    return e2e


def test_a_variable_the_prompt_does_not_read_changed_reruns_only_what_reads_it(e2e: E2E) -> None:
    e2e.write("Agentfile", AGENTFILE.replace("tone = plain", "tone = formal"))
    dry = e2e.am("-n")
    assert "would run summarize" not in dry.out, dry
    run = e2e.am()
    assert run.code == 0 and e2e.calls() == ["other"], run  # (summarize ran again, paid for, before)
    assert e2e.am("-q").code == 0


def test_an_input_added_reruns_it_with_the_list_one_path_a_line(e2e: E2E) -> None:
    e2e.write("docs/c.md", "c\n")
    run = e2e.am()
    assert run.code == 0 and e2e.calls() == ["all"], run
    assert "Files: docs/a.md\ndocs/b.md\ndocs/c.md" in e2e.read("out/all.md")
