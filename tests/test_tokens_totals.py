"""Tokens are totalled where cost is: the end-of-build line, the report's run summary, `status --json`."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.scheduler.summary import summary_line

AGENTFILE = """\
agent tr:
    runner  = claude
    prompt  = "Translate {{ read(input) }}"
    inputs  = docs/{name}.md
    outputs = out/{name}.md

report all:
    inputs = out/*.md
    output = ALL.md
"""


def test_tokens_are_totalled_in_the_summary_line_the_report_and_status(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e = E2E(tmp_path, fake_agents)
    e.write("Agentfile", AGENTFILE, dedent=False)
    e.write("docs/a.md", "one two three\n")
    e.write("docs/b.md", "four five six seven\n")
    run = e.am("report", "-s")
    assert run.code == 0, run
    rows = {row["task"]: row for row in json.loads(e.am("status", "--json").out)}
    tin = sum(rows[t]["last_tokens_in"] for t in ("tr:a", "tr:b"))
    tout = sum(rows[t]["last_tokens_out"] for t in ("tr:a", "tr:b"))
    assert tin > 0 and tout > 0 and rows["all"]["last_tokens_in"] is None
    assert re.search(rf"^agentmake: 3 ran, .*, {tin:,} tokens in / {tout:,} out$", run.text, re.M), run
    assert f"| tokens | {tin:,} in / {tout:,} out |" in e.read("ALL.md")

    shutil.rmtree(tmp_path / "out")  # restored from the cache: no tokens spent, none counted
    run = e.am("-s")
    assert re.search(r"^agentmake: 0 ran, 2 cached, .* in [\d.]+s$", run.text, re.M), run


def test_summary_line_shows_tokens_only_when_known() -> None:
    counts = {"done": 2}
    line = summary_line(counts, 1.25, 0.5)
    assert line == "agentmake: 2 ran, 0 cached, 0 up to date, 0 failed in 1.2s, $0.50"
    line = summary_line(counts, 1.25, None, (12345, 678))
    assert line == "agentmake: 2 ran, 0 cached, 0 up to date, 0 failed in 1.2s, 12,345 tokens in / 678 out"


def test_an_llm_runner_told_json_records_its_tokens_and_writes_only_the_answer(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    # RUNNERS.md: `llm --json` prints an array of records with response, input_tokens, output_tokens; a
    # runner that adds --json without `format = llm-json` wrote the whole record (prompt included) as output
    e = E2E(tmp_path, fake_agents)
    e.write(
        "Agentfile",
        """\
        runner llm:
            command = "llm --json"

        runner raw:
            base    = llm
            command = "llm --json"
            format  = text

        agent ask:
            runner  = llm
            prompt  = "FAKE: answer=hello there\\nq"
            outputs = out.md

        agent record:
            runner  = raw
            prompt  = "FAKE: answer=hello there\\nq"
            outputs = record.json
        """,
    )
    run = e.am()
    assert run.code == 0, run
    assert e.read("out.md") == "hello there"
    assert json.loads(e.read("record.json"))[0]["response"] == "hello there"  # `format = text`, as asked
    rows = {row["task"]: row for row in json.loads(e.am("status", "--json").out)}
    assert rows["ask"]["last_tokens_in"] > 0 and rows["ask"]["last_tokens_out"] == 2  # ("hello there")
    assert rows["record"]["last_tokens_in"] is None


def test_text_mode_llm_and_ollama_record_the_tokens_they_print_when_asked(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    # `llm -u` ends stderr with "Token usage: N input, M output"; `ollama run --verbose` with its metrics
    # summary ("prompt eval count:    N token(s)", "eval count:           M token(s)"). The answer on stdout
    # stays the whole output; without the flags nothing is printed and no tokens are recorded.
    e = E2E(tmp_path, fake_agents)
    e.write(
        "Agentfile",
        """\
        runner llm:
            command = "llm -u"

        runner ollama:
            command = "ollama run --hidethinking --verbose"
            model   = llama3.2

        runner quiet:
            base    = ollama
            command = "ollama run --hidethinking"
            model   = llama3.2

        agent ask:
            runner  = llm
            prompt  = "FAKE: answer=hello there\\nfour more words here"
            outputs = llm.md

        agent local:
            runner  = ollama
            prompt  = "FAKE: answer=one two three\\nq"
            outputs = ollama.md

        agent plain:
            runner  = quiet
            prompt  = "FAKE: answer=one two three\\nq"
            outputs = quiet.md
        """,
    )
    run = e.am()
    assert run.code == 0, run
    assert e.read("llm.md") == "hello there\n" and e.read("ollama.md") == "one two three\n"
    rows = {row["task"]: row for row in json.loads(e.am("status", "--json").out)}
    # (the fake CLIs count words: 7 in the first prompt, 5 in the second; 2 and 3 in the answers)
    assert (rows["ask"]["last_tokens_in"], rows["ask"]["last_tokens_out"]) == (7, 2)
    assert (rows["local"]["last_tokens_in"], rows["local"]["last_tokens_out"]) == (5, 3)
    assert rows["plain"]["last_tokens_in"] is None and rows["plain"]["last_tokens_out"] is None
