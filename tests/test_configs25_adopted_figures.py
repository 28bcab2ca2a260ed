"""Back to `lang=es` after a build with `lang=fr`, its result's cache entry gone (trimmed by `cache_size`):
the build takes the outputs lang=es's build made, still in place, as built (`Store.made_before`), calling
nothing. `status` said that result was "recorded as built by agentmake -t" with no time or cost: the figures
of the build that paid for it were lost with the record lang=fr's build replaced. The strays keep them
(`strays.made`, `Store.made_before_figures`, given back by `cache_made`), and status says what happened.
Real CLI runs, the fake claude (which reports a cost)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.display.status import KEPT, TOUCHED

AGENT = """\
cache_size = 0
lang = es
nap = 0.15
agent t:
    inputs = src.md
    outputs = out/${lang}.json
    check = json
    prompt = \"\"\"
        FAKE: label=t answer={"ok": 1}
        FAKE: sleep=${nap}
        {{ read(input) }} in ${lang}
        \"\"\"
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENT)
    e2e.write("src.md", "hello\n")
    return e2e


def _row(e2e: E2E) -> dict:
    (found,) = json.loads(e2e.am("status", "--json").out)
    return found


def test_outputs_taken_back_keep_what_their_build_took_and_cost(e2e: E2E) -> None:
    assert e2e.am().code == 0
    made = _row(e2e)
    assert made["last_cost"] and made["last_duration"] > 0.1, made
    assert e2e.am("lang=fr", "nap=0.6").code == 0 and len(e2e.calls("t")) == 2
    before = _row(e2e)  # (status before the build: what taking them as built will keep, not lang=fr's)
    assert before["last_duration"] == made["last_duration"] and before["last_cost"] == made["last_cost"]
    assert before["last_finished"] is None and not before["touched"], before
    back = e2e.am()
    assert back.code == 0 and back.summary.ran == 0 and len(e2e.calls("t")) == 2, back
    kept = _row(e2e)
    assert kept["state"] == "up to date" and not kept["touched"] and kept["kept"], kept
    for key in ("last_duration", "last_cost", "last_tokens_in", "last_tokens_out"):
        assert kept[key] == made[key], (key, made, kept)
    text = e2e.am("status").out
    assert KEPT in text and TOUCHED not in text and "$" in text.splitlines()[0], text


def test_a_touched_result_is_still_said_touched(e2e: E2E) -> None:
    """`agentmake -t` writes the same "up-to-date" history row, with no figures: still said so."""
    e2e.write("out/es.json", '{"ok": 1}\n')
    assert e2e.am("-t").code == 0
    row = _row(e2e)
    assert row["touched"] and not row["kept"], row
    assert TOUCHED in e2e.am("status").out
