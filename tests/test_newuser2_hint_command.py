"""The hint after a failure keeps the report from being written names a command that runs the same thing:
`agentmake -C DIR report profile=llm` was told "`agentmake report -k review`", which, copied, runs another
project (or the same one with other values). -C, -f and the VAR=value words are kept now; a value that may
be a secret is not printed (`VAR=…`). Real CLI runs of shell agents."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E
from test_partial_reports import AGENTFILE

from agentmake.workflow import Request
from agentmake.workflow.again import again

VARIABLES = 'who = "me"\napi_token = "none"\nendpoint = "local"\n'


def test_the_hint_repeats_the_directory_the_agentfile_and_the_values(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("my dir/src/a.txt", "alpha findings\n")
    e2e.write("my dir/src/b.txt", "beta findings\n")
    e2e.write("my dir/Other.af", VARIABLES + AGENTFILE)
    e2e.write("my dir/broken", "")
    secret_url = "https://me:hunter2hunter2@example.com/v1"
    words = (
        "-C",
        "my dir",
        "-f",
        "Other.af",
        "report",
        "who=a b",
        "api_token=s3cr3t-s3cr3t",
        f"endpoint={secret_url}",
    )
    run = e2e.am(*words)
    assert run.code == 1, run
    [said] = [line for line in run.err.splitlines() if line.startswith("agentmake: report r not written")]
    hint = said.split("`")[-2]  # (before: `agentmake report -k r`)
    assert hint == "agentmake -C 'my dir' -f Other.af report -k r 'who=a b' api_token=… endpoint=…", said
    assert "s3cr3t" not in run.err + run.out and "hunter2" not in run.err + run.out, run
    refused = e2e.am(*shlex.split(hint)[1:])  # (review3: '…' for a value is refused, not built with)
    assert refused.code == 2 and "api_token=…: … stands for a value" in refused.err, refused
    given = {w.partition("=")[0]: w for w in words if "=" in w}
    said_words = [given[w[:-2]] if w.endswith("=…") else w for w in shlex.split(hint)[1:]]
    copied = e2e.am(*said_words)  # run as the hint says, the hidden values given, from the same directory
    assert "not written" not in copied.err and "report r (partial: 1 of 2 inputs missing): " in copied.out, (
        copied
    )
    assert (e2e.root / "my dir" / "R.md").exists() and not (e2e.root / "R.md").exists()


def test_a_plain_invocation_gets_a_plain_hint_and_a_secret_of_the_environment_is_left_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert again(Request(), "report", "-k", "r") == "agentmake report -k r"
    assert again(Request(overrides={"lang": "fr"}), "x") == "agentmake x lang=fr"
    monkeypatch.setenv("GH_TOKEN", "ghp_abcdefghijklmnop")  # (`agentmake x tok=$GH_TOKEN` in CI)
    assert again(Request(overrides={"tok": "ghp_abcdefghijklmnop"}), "x") == "agentmake x tok=…"
