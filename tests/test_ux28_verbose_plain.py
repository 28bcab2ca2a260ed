"""`-v` with a CLI told to answer in JSON that printed plain text instead (an error, a proxy's page) showed
only its first line, as the error; the rest was only in the attempt's log. It shows all of it now, bounded
(`verbose.SHOWN` lines: the first and last half, and how many between) (ux28)."""

from __future__ import annotations

import io
from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.runners.parsed import Parsed
from agentmake.runners.verbose import SHOWN, tell_parsed

AGENTFILE = """\
retries = 0

runner p:
    base = claude
    command = "./cli -p --output-format json"

agent a:
    runner = p
    outputs = a.md
    prompt = "hi"
"""

CLI = """#!/bin/sh
cat > /dev/null
printf 'Error: the proxy refused the request\\nstatus 407\\nsee https://proxy.example/help\\n'
exit 1
"""


def test_verbose_shows_every_line_a_json_cli_printed_as_plain_text(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e2e = E2E(tmp_path / "p", fake_agents)
    e2e.write("Agentfile", AGENTFILE, dedent=False)
    e2e.write("cli", CLI, dedent=False)
    (e2e.root / "cli").chmod(0o755)
    run = e2e.am("-v")
    assert run.code == 1, run
    lines = run.err.splitlines()
    i = lines.index("[a] error: Error: the proxy refused the request")
    assert lines[i + 1 : i + 3] == ["[a] status 407", "[a] see https://proxy.example/help"], run


def test_plain_text_past_the_bound_shows_its_ends_and_how_many_lines_between() -> None:
    printed = "".join(f"line {n}\n" for n in range(1, 101))
    out = io.StringIO()
    tell_parsed("t", Parsed(is_error=True, error="line 1"), stream=out, stdout=printed)
    lines = out.getvalue().splitlines()
    assert len(lines) == SHOWN + 1, lines
    assert lines[0] == "[t] error: line 1" and lines[-1] == "[t] line 100", lines
    assert f"[t] … {100 - SHOWN:,} more lines (in the attempt's log)" in lines, lines


def test_json_output_is_not_shown_raw() -> None:
    out = io.StringIO()
    said = '{"type": "result", "is_error": true}\n'
    tell_parsed("t", Parsed(is_error=True, error="no result object"), stream=out, stdout=said)
    assert out.getvalue() == "[t] error: no result object\n"
