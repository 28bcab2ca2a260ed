"""A task's job directory (`.agentmake/home/<task>`, the config directory its CLI is given) after its
attempts: the real claude, codex and llm keep every session there (claude's transcripts, codex's rollouts,
llm's logs.db: the prompt and the answer, whatever a tool read), so it grew with every build and kept,
unredacted, what the agents were told and answered (shared/RUNNERS.md)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E

MARK = "zebra-quokka-7731"  # a word of the prompt, to look for in what the job directories keep


def run(fake: FakeAgents, argv: list[str], stdin: str, cwd: Path, **env: str) -> None:
    r = subprocess.run(
        [str(fake.bin / argv[0]), *argv[1:]], input=stdin, capture_output=True, text=True, cwd=cwd,
        env={**fake.env(), **env}, timeout=60,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr


def test_the_fake_clis_keep_their_sessions_in_their_config_directory(
    fake_agents: FakeAgents, tmp_path: Path
) -> None:
    cfg = tmp_path / "cfg"
    claude = {"CLAUDE_CONFIG_DIR": str(cfg / "c")}
    run(fake_agents, ["claude", "-p", "--output-format", "json"], MARK, tmp_path, **claude)
    run(fake_agents, ["claude", "-p", "--no-session-persistence"], "other", tmp_path, **claude)
    (transcript,) = (cfg / "c" / "projects").glob("*/*.jsonl")
    assert MARK in transcript.read_text()
    codex = ["codex", "exec", "--json", "--skip-git-repo-check", "-"]
    run(fake_agents, codex, MARK, tmp_path, CODEX_HOME=str(cfg / "x"))
    (rollout,) = (cfg / "x" / "sessions").glob("*/*/*/rollout-*.jsonl")
    assert MARK in rollout.read_text()
    run(fake_agents, ["llm", "-d", str(cfg / "l.db")], MARK, tmp_path)
    run(fake_agents, ["llm", "-n", "-d", str(cfg / "n.db")], MARK, tmp_path)
    # (closing: a connection's `with` only commits; one left open is a ResourceWarning on Python 3.13)
    with contextlib.closing(sqlite3.connect(cfg / "l.db")) as db:
        assert [MARK in p for (p,) in db.execute("SELECT prompt FROM responses")] == [True]
    with contextlib.closing(sqlite3.connect(cfg / "n.db")) as db:  # (opened even with -n: simonw/llm#789)
        assert list(db.execute("SELECT prompt FROM responses")) == []


def _kept(root: Path) -> tuple[int, list[str]]:
    """(bytes under .agentmake/home, the files there holding MARK)."""
    size, holding = 0, []
    for dirpath, _, names in os.walk(root / ".agentmake" / "home"):
        for name in names:
            path = Path(dirpath, name)
            size += path.stat().st_size
            if MARK.encode() in path.read_bytes():
                holding.append(str(path.relative_to(root)))
    return size, holding


def test_job_directories_neither_grow_with_builds_nor_keep_the_sessions(
    fake_agents: FakeAgents, tmp_path: Path
) -> None:
    e = E2E(tmp_path / "p", fake_agents)
    e.write(
        "Agentfile",
        f"""\
        agent a:
            runner  = claude
            prompt  = "tell {MARK} FAKE: answer=A"
            outputs = a.md
        agent b:
            runner  = codex
            prompt  = "tell {MARK} FAKE: answer=B"
            outputs = b.md
        agent c:
            runner  = llm
            prompt  = "tell {MARK} FAKE: answer=C"
            outputs = c.md
        """,
    )
    r = e.am()
    assert r.code == 0 and r.summary.ran == 3, r
    first, holding = _kept(e.root)
    assert holding == []
    for _ in range(2):
        r = e.am("-B")
        assert r.code == 0 and r.summary.ran == 3, r
        assert _kept(e.root) == (first, [])


def test_removing_a_job_directory_follows_no_link(tmp_path: Path) -> None:
    # the agent may write in its own config directory: a link it left there (to the user's ~/.claude, say)
    # is removed as the link, and a job directory that is a link is not followed either
    from agentmake.runners.credentials import remove_job

    mine = tmp_path / "mine"
    (mine / "sub").mkdir(parents=True)
    (mine / "sub" / "keep.txt").write_text("mine\n")
    home = tmp_path / "state" / "home"
    job = home / "a"
    (job / "claude" / "projects" / "p").mkdir(parents=True)
    (job / "claude" / "projects" / "p" / "s.jsonl").write_text(MARK)
    (job / "claude" / ".credentials.json").write_text("{}")
    (job / "claude" / "link").symlink_to(mine)
    (job / "claude" / "filelink").symlink_to(mine / "sub" / "keep.txt")
    (job / "codex").symlink_to(mine / "sub")
    (home / "b").symlink_to(mine)
    remove_job(job)
    remove_job(home / "b")
    assert not os.path.lexists(job) and not os.path.lexists(home / "b")
    assert (mine / "sub" / "keep.txt").read_text() == "mine\n"
