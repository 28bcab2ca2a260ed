"""The keys of agents whose CLIs' settings say nothing of writing files are those of the agentmake before the
settings were read for it (`runners.writesettings`: codex's project trust, claude's ``--settings``,
``--setting-sources`` and MCP tools), byte for byte, and so is the build stamp's signature: a project built
before runs nothing after, and its first no-op build is vouched for by the stamp as before. The settings
files here hold what is read for the model and what is not read at all (another project's trust, a tool
that only reads), as a user's do. Pinned: a change of these keys has to be an intended one."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.runners.configstamp import stamp_digests

AGENTFILE = '''\
runner ro:
    base = claude
    command = "claude -p --output-format json --setting-sources user,project,local"
agent c:
    runner = claude
    inputs = docs/a.txt
    outputs = c.md
    prompt = """
        FAKE: label=c
        {{ read(input) }}
        """
agent x:
    runner = codex
    inputs = docs/a.txt
    outputs = x.md
    prompt = """
        FAKE: label=x
        {{ read(input) }}
        """
agent r:
    runner = ro
    inputs = docs/a.txt
    outputs = r.md
    prompt = """
        FAKE: label=r
        {{ read(input) }}
        """
'''
# task id -> its key, as the agentmake before this reading made it (s21 at 6f2324f)
PINNED = {
    "c": "1fbbd748ddff8e2d86399fc3edb3e2e9",
    "r": "9a31120a62b7755430ee4dd37fa35650",
    "x": "56453cc14201bf290a73889397feb723",
}
# (what the build stamp's signature holds of the config files, as before)
STAMPED = [
    ["claude", "a4872068fc355d99122fbb2a4ebb02e8"],
    ["codex", "4209417a1d6bd09d5b4d2cfda1f95b82"],
    ["gemini", ""],
    ["llm", ""],
]


def _project(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e2e = E2E(tmp_path / "p", fake_agents)
    e2e.write("docs/a.txt", "alpha\n")
    e2e.write("Agentfile", AGENTFILE, dedent=False)
    codex = fake_agents.home / ".codex" / "config.toml"
    codex.parent.mkdir(parents=True)
    codex.write_text(f'model = "o3"\n[projects."{tmp_path / "other"}"]\ntrust_level = "trusted"\n')
    claude = fake_agents.home / ".claude" / "settings.json"
    claude.parent.mkdir(parents=True)
    claude.write_text(json.dumps({"model": "sonnet", "permissions": {"allow": ["Read", "Grep"]}}))
    return e2e


def _keys(e2e: E2E) -> dict[str, str]:
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn:
        return dict(conn.execute("SELECT task_id, key FROM tasks"))


def test_keys_of_agents_whose_settings_say_nothing_of_writing_are_pinned(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e2e = _project(tmp_path, fake_agents)
    run = e2e.am()
    assert run.code == 0 and run.summary.ran == 3, run
    assert _keys(e2e) == PINNED
    assert stamp_digests({"HOME": str(fake_agents.home)}, e2e.root) == STAMPED
