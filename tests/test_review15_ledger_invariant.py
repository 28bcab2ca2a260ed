"""Real kill -9 sequences with three reports over three different agents: what the reports say they cost,
every write counted (a report written by a build killed afterwards included), adds up to what the builds'
summary lines and `clean` said was paid, once a last build writes every report again. (They fail on
451f377, where each report counted every dollar its line said killed builds paid.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import FakeAgents
from crash_helpers import crash_at, crash_at_summary
from e2e_helpers import E2E, Run

THREE = '''\
agent first:
    inputs = docs/a.md
    outputs = build/a.md
    prompt = """
        FAKE: label=a
        Translate: {{ read(input) }}
        """

agent second:
    inputs = docs/b.md
    outputs = build/b.md
    prompt = """
        FAKE: label=b sleep=1
        Summarise this at length, please, in several words: {{ read(input) }}
        """

agent third:
    inputs = docs/c.md
    outputs = build/c.md
    prompt = """
        FAKE: label=c sleep=2
        Say it again, and again, at length please, with feeling: {{ read(input) }}
        """

report ra:
    inputs = build/a.md
    output = RA.md

report rb:
    inputs = build/b.md
    output = RB.md

report rc:
    inputs = build/c.md
    output = RC.md
'''
REPORTS = ("RA.md", "RB.md", "RC.md")
LINE_TOKENS = re.compile(r"^agentmake: .*?, ([\d,]+) tokens in / ([\d,]+) out", re.M)


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


class Ledger:
    """What the summary lines (and `clean`'s) said was paid, and what each report written said it cost, in
    dollars as printed (big answers: each over $0.10, so that a dollar counted twice or missed is far above
    the printed rounding, half a cent a figure)."""

    def __init__(self, e2e: E2E) -> None:
        self.e2e, self.seen = e2e, {name: "" for name in REPORTS}
        self.reports: list[float] = []
        self.lines: list[float] = []

    def after(self, run: Run) -> None:
        for line in run.out.splitlines():
            if line.startswith("agentmake: ") and " ran, " in line:
                self.lines += [float(m) for m in re.findall(r" in [\d.]+s, \$([\d.]+)", line)]
            elif ", paid by" in line and " cost $" in line:  # (`clean`'s, of a killed build)
                self.lines.append(float(re.findall(r" cost \$([\d.]+)", line)[0]))
        for name in REPORTS:
            path = self.e2e.root / name
            text = path.read_text() if path.exists() else ""
            if text and text != self.seen[name]:
                row = next(ln for ln in text.splitlines() if ln.startswith("| cost "))
                cost = re.findall(r"\$([\d.]+)", row)
                self.reports.append(float(cost[0]))
            self.seen[name] = text

    def check(self) -> None:
        slack = 0.005 * (len(self.reports) + len(self.lines)) + 1e-9
        assert abs(sum(self.reports) - sum(self.lines)) <= slack, (self.reports, self.lines)


def _doc(x: str, n: str) -> str:
    """A document whose answer costs well over $0.10 (the fake answers with the prompt: ~10k tokens out)."""
    return f"{x} {n}\n" + f"{x} {n} words and more words.\n" * 1500


def _start(e2e: E2E) -> Ledger:
    e2e.write("Agentfile", THREE)
    for x in "abc":
        e2e.write(f"docs/{x}.md", _doc(x, "one"))
    ledger = Ledger(e2e)
    run = e2e.am("-j3")
    assert run.code == 0, run
    ledger.after(run)
    return ledger


def _retitle(e2e: E2E, title: str) -> None:
    e2e.write("Agentfile", THREE.replace("    output = R", f'    title = "{title}"\n    output = R'))


def _finish(e2e: E2E, ledger: Ledger) -> None:
    _retitle(e2e, "Final")  # (every report written again: what it has to count since is counted)
    run = e2e.am("-j3")
    assert run.code == 0, run
    ledger.after(run)
    ledger.check()


def test_killed_after_one_report_then_taken_over_by_a_build_killed_too(e2e: E2E) -> None:
    ledger = _start(e2e)
    ledger.after(crash_at(e2e, "os.rename", "build/c.md", "-j3", "-B"))
    for x in "ab":
        e2e.write(f"docs/{x}.md", _doc(x, "two"))
    ledger.after(crash_at(e2e, "os.rename", "build/b.md", "-j3"))  # (RA written)
    _finish(e2e, ledger)


def test_killed_at_its_summary_line_after_writing_every_report(e2e: E2E) -> None:
    ledger = _start(e2e)
    for x in "abc":
        e2e.write(f"docs/{x}.md", _doc(x, "two"))
    ledger.after(crash_at_summary(e2e, "-j3"))
    e2e.write("docs/a.md", _doc("a", "three"))
    ledger.after(crash_at(e2e, "os.rename", "build/a.md", "-j3"))
    _finish(e2e, ledger)


def test_a_killed_build_s_spend_said_by_a_build_that_wrote_no_report(e2e: E2E) -> None:
    ledger = _start(e2e)
    ledger.after(crash_at(e2e, "os.rename", "build/c.md", "-j3", "-B", "first", "second", "third"))
    run = e2e.am("-j3", "first")  # (takes the killed build over: says all of its spend; writes no report)
    assert run.code == 0, run
    ledger.after(run)
    _finish(e2e, ledger)


def test_killed_after_a_report_twice_then_cleaned(e2e: E2E) -> None:
    ledger = _start(e2e)
    for x in "abc":
        e2e.write(f"docs/{x}.md", _doc(x, "two"))
    ledger.after(crash_at(e2e, "os.rename", "build/b.md", "-j3"))  # (RA written)
    e2e.write("docs/a.md", _doc("a", "three"))
    ledger.after(crash_at(e2e, "os.rename", "build/c.md", "-j3"))  # (RA and RB written)
    clean = e2e.am("clean", "rc")
    ledger.after(clean)
    _finish(e2e, ledger)
