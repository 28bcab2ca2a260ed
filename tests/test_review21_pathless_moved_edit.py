"""A hand edit kept in place ("edited by hand; keeping it"), then moved by hand with the output's rename in
the Agentfile, of a task whose key holds no output path (`plan.pathless`): the task is as up to date as
before, so the edit is kept at its new path (README: "if the file was moved there by hand, it is kept as it
is"), not replaced by the cached result; another file there is still replaced, a copy saved first (real
CLI, fake agents)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = '''\
agent notes:
    inputs = docs/{{name}}.txt
    outputs = {out}/{{name}}.md
    prompt = """
        FAKE: label=notes
        Summarise: {{{{ read(input) }}}}
        """
'''


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("docs/a.txt", "alpha\n")
    e2e.write("Agentfile", AGENTFILE.format(out="notes"))
    assert e2e.am().summary.ran == 1
    e2e.write("notes/a.md", e2e.read("notes/a.md") + "my edit\n", dedent=False)
    assert "notes/a.md was edited by hand; keeping it" in e2e.am().text
    return e2e


def test_a_kept_edit_moved_with_the_rename_is_kept(e2e: E2E) -> None:
    edited = e2e.read("notes/a.md")
    (e2e.root / "summaries").mkdir()
    (e2e.root / "notes/a.md").rename(e2e.root / "summaries/a.md")
    e2e.write("Agentfile", AGENTFILE.format(out="summaries"))
    assert "agentmake: 0 to run, 1 up to date (dry run)" in e2e.am("-n").out
    build = e2e.am()
    assert (build.summary.ran, build.summary.cached, build.summary.up_to_date) == (0, 0, 1), build
    assert e2e.read("summaries/a.md") == edited
    assert not (e2e.root / ".agentmake/edited").exists()
    again = e2e.am()
    assert "summaries/a.md was edited by hand; keeping it" in again.text, again
    assert e2e.read("summaries/a.md") == edited
    assert e2e.calls("notes") == ["notes"]


def test_another_file_at_the_new_path_is_still_replaced(e2e: E2E) -> None:
    e2e.write("summaries/a.md", "something else\n")
    e2e.write("Agentfile", AGENTFILE.format(out="summaries"))
    build = e2e.am()
    assert build.summary.cached == 1, build
    assert "saved" in build.text and e2e.read("summaries/a.md").startswith("ANSWER:"), build
    assert e2e.calls("notes") == ["notes"]


def test_the_moved_edit_s_old_path_is_quoted_as_its_new_one(tmp_path: Path, fake_agents: FakeAgents) -> None:
    """(review18) "… was edited by hand (as notes dir/a.md was)": the old path, with a space, was not quoted
    as the new one is (`pathwords.quote_path`)."""
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("docs/a.txt", "alpha\n")
    quoted = AGENTFILE.replace("outputs = {out}/{{name}}.md", 'outputs = "{out}/{{name}}.md"')
    e2e.write("Agentfile", quoted.format(out="notes dir"))
    assert e2e.am().summary.ran == 1
    e2e.write("notes dir/a.md", e2e.read("notes dir/a.md") + "my edit\n", dedent=False)
    assert e2e.am().code == 0
    (e2e.root / "sum s").mkdir()
    (e2e.root / "notes dir/a.md").rename(e2e.root / "sum s/a.md")
    e2e.write("Agentfile", quoted.format(out="sum s"))
    said = e2e.am("explain", "notes:a").text
    assert '"sum s/a.md" was edited by hand (as "notes dir/a.md" was); keeping it' in said, said
