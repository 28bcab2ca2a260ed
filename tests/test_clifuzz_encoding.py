"""Bytes that are not UTF-8 on the command line or in the project's own path: a `VAR=value` whose value is
not UTF-8 is a usage error (exit 2), and a project under a directory whose name is not UTF-8 builds, saves
hand edits and fails tasks like any other, its path shown with those bytes escaped (`caf\\xe9`), instead of
a UnicodeEncodeError traceback (exit 1) from the state database or the prompt's hash."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake import safetext

AGENTFILE = """\
lang = "English"

agent sum:
    prompt = "FAKE: label=sum\\nIn {{ lang }}: {{ read(input) }}"
    runner = claude
    inputs = docs/a.md
    outputs = out/a.md
"""


def test_an_override_whose_value_is_not_utf8_is_a_usage_error_before_any_call(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE, dedent=False)
    e2e.write("docs/a.md", "hello\n")
    value = os.fsdecode(b"fran\xe7ais")  # (Latin-1, as Python gives such an argument)
    for args in (("lang=" + value,), ("-n", "lang=" + value), ("--", "lang=" + value)):
        run = e2e.am(*args)
        assert run.code == 2, run
        assert "Traceback" not in run.err, run
        assert "agentmake: error: lang=fran\\xe7ais: the value is not UTF-8 text" in run.err, run
    assert e2e.calls() == []
    run = e2e.am("lang=français")  # (UTF-8 that is not ASCII is fine)
    assert run.code == 0, run
    assert "In français: hello" in e2e.read("out/a.md")


def test_a_project_under_a_directory_whose_name_is_not_utf8_builds_and_saves_edits(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e2e = E2E(tmp_path / os.fsdecode(b"caf\xe9") / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE, dedent=False)
    e2e.write("docs/a.md", "hello\n")
    e2e.write("out/a.md", "there before agentmake\n")  # (saved before the result replaces it)
    first = e2e.am()
    assert first.code == 0, first
    assert "caf\\xe9/proj/.agentmake/edited/" in first.err, first
    with (e2e.root / "out/a.md").open("a") as fh:
        fh.write("edited by hand\n")
    forced = e2e.am("-B")
    assert forced.code == 0, forced
    assert "hand-edited output saved: out/a.md" in forced.err, forced
    saved = sorted(p.read_text() for p in (e2e.root / ".agentmake/edited").rglob("a.md"))
    assert saved == ["ANSWER:\nIn English: helloedited by hand\n", "there before agentmake\n"]
    e2e.write("docs/a.md", "\nFAKE: fail=401\n")  # (a failure's message goes to the state too)
    failed = e2e.am()
    assert failed.code == 1, failed
    status = e2e.am("status")
    assert status.code == 0 and "failed" in status.out, status
    for run in (first, forced, failed, status):
        assert "Traceback" not in run.err, run
    assert e2e.calls("sum") == ["sum", "sum", "sum"]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (os.fsdecode(b"caf\xe9/x"), "caf\\xe9/x"),
        (os.fsdecode(b"a\x9bb"), "a\\x9bb"),  # (raw, the byte 0x9b is an 8-bit terminal's CSI)
        ("\ud800", "\\ud800"),
        ("café\n", "café\n"),
    ],
)
def test_the_bytes_a_surrogate_stands_for_are_shown_escaped(text: str, shown: str) -> None:
    assert safetext.term_safe(text) == shown.replace("\n", "\\n")
    assert safetext.text_safe(text) == shown
    assert safetext.utf8_safe(text) == shown
