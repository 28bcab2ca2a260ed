"""A template report built partial (`-k`, an input's task failed) whose template reads a missing input's
`.data` failed with "'None' has no attribute 'findings'" alone: nothing said that the input was missing, which
one, or why, so the author hunted a bug in the template (or the JSON) instead of the failed task upstream."""

from __future__ import annotations

from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """
runner = shell

agent a:
    run = "cp a.src {output}"
    inputs = src.txt
    outputs = build/a.json

agent b:
    run = "echo broken >&2; exit 1"
    retries = 0
    inputs = src.txt
    outputs = build/b.json

report r:
    template = t.md
    inputs = build/a.json build/b.json
    output = R.md
"""

TEMPLATE = """# {{ title }}
{% for i in inputs %}
## {{ i.path }}
{% for f in i.data.findings %}- {{ f.x }}
{% endfor %}
{% endfor %}
"""


def test_a_template_failing_on_a_missing_input_names_it_and_why(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("src.txt", "s\n")
    e2e.write("a.src", '{"findings": [{"x": 1}]}\n')
    e2e.write("t.md", TEMPLATE)
    e2e.write("Agentfile", AGENTFILE)
    run = e2e.am("-k", "report")
    assert run.code == 1, run
    failure = next(line for line in run.err.splitlines() if line.startswith("✗ r"))
    assert "t.md:4:" in failure and "'findings'" in failure, failure  # (the template's own error, kept)
    assert "build/b.json" in failure and "b failed" in failure and "broken" in failure, failure
    assert "missing" in failure, failure
    assert not e2e.exists("R.md")


def test_a_template_error_with_every_input_there_says_nothing_of_missing_inputs(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("src.txt", "s\n")
    e2e.write("a.src", '{"other": 1}\n')
    e2e.write("t.md", TEMPLATE)
    e2e.write("Agentfile", AGENTFILE.replace('"echo broken >&2; exit 1"', '"cp a.src {output}"'))
    run = e2e.am("-k", "report")
    assert run.code == 1, run
    failure = next(line for line in run.err.splitlines() if line.startswith("✗ r"))
    assert "t.md:4:" in failure and "missing" not in failure, failure
