"""An output renamed in the Agentfile makes a build call the agent again (the key names the outputs); `-n`
and `status` say how to keep the result instead: `mv OLD NEW && agentmake -t TASK` (newuser6: renaming
build/findings/quality.md paid for the review again, and nothing said the move and -t would keep it).
Following the hint calls nothing; a task stale for more than the rename gets no hint. (Only a task whose key
holds its output paths: one whose key holds none restores its result at the new path itself, see
tests/test_keys19_pathless_rename.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """\
agent a:
    inputs = a.md
    outputs = out/a.md
    prompt = "FAKE: label=a\\nWrite {{ output }} from {{ read(input) }}"
"""  # (its prompt names its output: the key holds the path, `plan.pathless`)
HINT = (
    "agentmake: hint: a: its output out/a.md is now out/renamed.md in the Agentfile, so a build calls its"
    " agent again; `mv out/a.md out/renamed.md && agentmake -t a` keeps the result it made, calling nothing"
)


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE, dedent=False)
    e2e.write("a.md", "alpha\n")
    assert e2e.am().code == 0
    e2e.write("Agentfile", AGENTFILE.replace("out/a.md", "out/renamed.md"), dedent=False)
    return e2e


@pytest.mark.parametrize("args", [("-n",), ("status",)])
def test_a_renamed_output_gets_the_hint(e2e: E2E, args: tuple[str, ...]) -> None:
    run = e2e.am(*args)
    assert run.code == 0, run
    assert HINT in run.err.splitlines(), run


def test_following_the_hint_calls_nothing(e2e: E2E) -> None:
    (e2e.root / "out/a.md").rename(e2e.root / "out/renamed.md")
    assert e2e.am("-t", "a").code == 0
    run = e2e.am()
    assert run.code == 0 and run.summary.ran == 0, run
    assert e2e.calls() == ["a"]  # (the first build's call alone)


def test_no_hint_when_more_than_the_name_changed(e2e: E2E) -> None:
    e2e.write("a.md", "beta\n")
    run = e2e.am("-n")
    assert "agentmake: hint:" not in run.err, run


TWO = """\
agent a:
    inputs = a.md
    outputs = x.md y.md
    run = "cp a.md {outputs[0]} && cp a.md {outputs[1]}"
"""


def test_no_hint_when_another_output_is_missing(tmp_path: Path, fake_agents: FakeAgents) -> None:
    """review19: y.md renamed z.md while x.md was deleted: the move and -t record nothing (x.md is missing),
    and the build pays again anyway; the hint promised the result kept."""
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", TWO, dedent=False)
    e2e.write("a.md", "alpha\n")
    assert e2e.am().code == 0
    e2e.write("Agentfile", TWO.replace("y.md", "z.md"), dedent=False)
    (e2e.root / "x.md").unlink()
    for args in (("-n",), ("status",)):
        run = e2e.am(*args)
        assert "agentmake: hint:" not in run.err, run


def test_the_hint_makes_the_new_directory(e2e: E2E) -> None:
    """review19: an output moved to a directory that does not exist yet: a bare `mv` fails there."""
    e2e.write("Agentfile", AGENTFILE.replace("out/a.md", "new/dir/a.md"), dedent=False)
    run = e2e.am("-n")
    move = "`mkdir -p new/dir && mv out/a.md new/dir/a.md && agentmake -t a`"
    assert move in run.err, run
    (e2e.root / "new/dir").mkdir(parents=True)
    (e2e.root / "out/a.md").rename(e2e.root / "new/dir/a.md")
    assert e2e.am("-t", "a").code == 0
    assert e2e.am().summary.ran == 0 and e2e.calls() == ["a"]


FAN = """\
agent copy:
    inputs = src/{n}.md
    outputs = out/{n}.md
    run = "cp {input} {output}"
"""


def test_a_fan_out_renamed_gets_five_hints_and_a_count(tmp_path: Path, fake_agents: FakeAgents) -> None:
    """review19: a fan-out's output pattern renamed printed one hint per task (3,000 for 3,000 tasks)."""
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", FAN, dedent=False)
    for n in range(8):
        e2e.write(f"src/{n}.md", f"{n}\n")
    assert e2e.am().code == 0
    e2e.write("Agentfile", FAN.replace("outputs = out/", "outputs = out2/"), dedent=False)
    run = e2e.am("-n")
    hints = [line for line in run.err.splitlines() if line.startswith("agentmake: hint:")]
    assert len(hints) == 6, run
    assert hints[-1] == (
        "agentmake: hint: and 3 more tasks with an output renamed so:"
        " the same `mv` and `-t` keep each one's result"
    ), run


REPORT = """\
report r:
    title = "R"
    inputs = build/a.md
    output = R.md
"""


def test_no_hint_for_a_report_moved_to_another_directory(tmp_path: Path, fake_agents: FakeAgents) -> None:
    """review19: a report's links are relative to its directory (`![](build/fig.svg)` in R.md is
    `../build/fig.svg` in docs/R.md): the hint's mv and -t recorded the broken links as up to date, and a
    report agentmake lays out calls no agent anyway."""
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", REPORT, dedent=False)
    e2e.write("build/a.md", "see ![](fig.svg)\n")
    assert e2e.am().code == 0
    assert "![](build/fig.svg)" in (e2e.root / "R.md").read_text()
    e2e.write("Agentfile", REPORT.replace("output = R.md", "output = docs/R.md"), dedent=False)
    for args in (("-n",), ("status",)):
        run = e2e.am(*args)
        assert "agentmake: hint:" not in run.err, run
    assert e2e.am().code == 0
    assert "![](../build/fig.svg)" in (e2e.root / "docs/R.md").read_text()


CONVERT = """\
agent conv:
    inputs = a.md
    outputs = out/a.txt
    run = "case {output} in *.html) printf '<p>%s</p>' \\"$(cat {input})\\" > {output};; *) cp {input} {output};; esac"
"""  # noqa: E501


def test_no_hint_for_a_new_suffix(tmp_path: Path, fake_agents: FakeAgents) -> None:
    """review19: out/a.txt now out/a.html: the command writes HTML there (as pandoc -o picks the format by
    the name), and the hint's mv and -t recorded the plain text as the HTML, up to date."""
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", CONVERT, dedent=False)
    e2e.write("a.md", "alpha\n")
    assert e2e.am().code == 0
    e2e.write("Agentfile", CONVERT.replace("out/a.txt", "out/a.html"), dedent=False)
    run = e2e.am("-n")
    assert "agentmake: hint:" not in run.err, run
    assert e2e.am().code == 0
    assert (e2e.root / "out/a.html").read_text() == "<p>alpha</p>"


def test_a_fan_out_s_hints_come_in_natural_order(tmp_path: Path, fake_agents: FakeAgents) -> None:
    """s26: the hints came in string order (`copy:1`, `copy:10`, `copy:2`), the `-n` lines above them in
    natural order."""
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", FAN, dedent=False)
    for n in (1, 2, 3, 10):
        e2e.write(f"src/{n}.md", f"{n}\n")
    assert e2e.am().code == 0
    e2e.write("Agentfile", FAN.replace("outputs = out/", "outputs = out2/"), dedent=False)
    run = e2e.am("-n")
    hinted = [line.split(": its output ")[0] for line in run.err.splitlines() if ": its output " in line]
    assert [h.rsplit(":", 1)[1] for h in hinted] == ["1", "2", "3", "10"], run
