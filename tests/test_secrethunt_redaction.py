"""Secrets of the environment found where `agentmake.runners.redact` used to miss them: a multi-line value
(a PEM key) shown a line at a time, ..."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.runners.redact import Redactor

PEM_LINES = [
    "-----BEGIN OPENSSH PRIVATE KEY-----",
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
    "QyNTUxOQAAACBbLWaTVGQBZ3wPXBv8Pnr6hELFq7sB1wHdRkqZqY7mSwAAAJiA0s1ZgNLN",
    "-----END OPENSSH PRIVATE KEY-----",
]
PEM = "\n".join(PEM_LINES)


def test_each_line_of_a_multi_line_secret_is_redacted_alone() -> None:
    """A key printed with other line endings, in part (`head -2`), or a line at a time."""
    redact = Redactor({"SSH_PRIVATE_KEY": PEM})
    for text in (PEM.replace("\n", "\r\n"), "\n".join(PEM_LINES[:2]), f"line: {PEM_LINES[2]}"):
        shown = redact(text)
        assert PEM_LINES[1] not in shown and PEM_LINES[2] not in shown, shown
        assert "[redacted SSH_PRIVATE_KEY]" in shown, shown
    assert redact("x\ny") == "x\ny"  # (a short line of a value is no secret of its own)


def test_a_multi_line_secret_streamed_by_verbose_mode_is_redacted(
    tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`-v` shows an agent's output a line at a time: no line of the key reaches the terminal."""
    monkeypatch.setenv("SSH_PRIVATE_KEY", PEM)
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write(
        "Agentfile",
        """\
        agent a:
            outputs = out.txt
            run = "printenv SSH_PRIVATE_KEY; printenv SSH_PRIVATE_KEY >&2; echo done > {output}"
        """,
    )
    run = e2e.am("-v")
    assert run.code == 0, run
    for line in PEM_LINES[1:3]:
        assert line not in run.text, run
    assert "[a] [redacted SSH_PRIVATE_KEY]" in run.err and "[a!] [redacted SSH_PRIVATE_KEY]" in run.err, run


def test_a_token_given_as_a_urls_user_is_redacted_in_its_url() -> None:
    """`https://TOKEN@github.com/...` (a token as the URL's user, no password) is a credential like
    `user:PASSWORD@`; a short user (`git@`) and the rest of the URL are kept, and the user alone elsewhere is
    not (it may be a plain user name)."""
    url = "https://ghp_SECRET123abcdefghij@github.com/o/r.git"
    redact = Redactor.from_environ({"REPO_URL": url, "SSH_URL": "ssh://git@github.com/o/r.git"})
    shown = redact(f"cloning {url} and ssh://git@github.com/o/r.git")
    assert shown == (
        "cloning https://[redacted REPO_URL]@github.com/o/r.git and ssh://git@github.com/o/r.git"
    ), shown
    escaped = redact('{"url": "https:\\/\\/ghp_SECRET123abcdefghij@github.com"}')  # (JSON may write `\/`)
    assert "ghp_SECRET" not in escaped and "[redacted REPO_URL]@github.com" in escaped, escaped
    assert redact("user ghp_SECRET123abcdefghij") == "user ghp_SECRET123abcdefghij"


QUOTED = 'Pa$$w0rd"x\\y`z' + "'q"  # a generated password: every character a shell or Python escapes


@pytest.mark.parametrize(
    "argv",
    [
        ["bash", "-c", "export -p | grep DB_PASSWORD"],  # declare -x DB_PASSWORD="Pa\$\$w0rd\"..."
        ["bash", "-c", "declare -p DB_PASSWORD"],
        ["bash", "-c", "set | grep ^DB_PASSWORD"],  # DB_PASSWORD='...'\''q'
        ["sh", "-c", "export -p | grep DB_PASSWORD"],  # dash: '...'"'"'q'
        ["python3", "-c", "import os; print(os.environ)"],  # repr: \\ and \'
    ],
)
def test_a_secret_a_shell_or_python_prints_quoted_is_redacted(argv: list[str]) -> None:
    """A shell agent that lists its environment quoted (`export -p`, `set`) or a Python one printing
    `os.environ`: the value is escaped there, and still redacted."""
    import os
    import shutil
    import subprocess

    if shutil.which(argv[0]) is None:
        pytest.skip(f"no {argv[0]}")
    env = {**os.environ, "DB_PASSWORD": QUOTED}
    printed = subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout
    assert "w0rd" in printed, printed  # (it did print the value)
    shown = Redactor.from_environ(env)(printed)
    assert "w0rd" not in shown and "[redacted DB_PASSWORD]" in shown, shown


def test_a_webhook_is_a_secret_whatever_its_name_ends_with() -> None:
    """A webhook's URL is its credential (`SLACK_WEBHOOK`, not only `SLACK_WEBHOOK_URL`)."""
    from agentmake.runners.redact import looks_secret

    for name in ("SLACK_WEBHOOK", "DISCORD_WEBHOOK", "TEAMS_WEBHOOKS", "SLACK_WEBHOOK_URL"):
        assert looks_secret(name), name
    url = "https://hooks.slack.com/services/T0000/B0000/XXXXSECRETXXXX"
    assert (
        Redactor.from_environ({"SLACK_WEBHOOK": url})(f"posting to {url}")
        == "posting to [redacted SLACK_WEBHOOK]"
    )


def test_a_secret_passed_as_a_variable_is_not_shown_by_a_dry_run_nor_kept_in_the_state(
    tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CI passes a secret of its environment to a prompt (`agentmake tok=$GH_TOKEN`): `-n`, `explain`
    and `status --json` say the variable changed (by digest), never its value; nor does the state database
    keep it. A variable whose name looks secret is treated alike, and others are still shown."""
    import sqlite3

    monkeypatch.setenv("GH_TOKEN", "ghp_OLDSECRET0123456789")
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write(
        "Agentfile",
        """\
        tok = "none"
        api_key = "none"
        lang = "en"
        agent p:
            prompt = "use {{ tok }} {{ api_key }} {{ lang }} FAKE: answer=ok"
            runner = llm
            outputs = out.txt
        """,
    )
    old = ("tok=ghp_OLDSECRET0123456789", "api_key=sk-OLDKEY-0123456789", "lang=en")
    assert e2e.am(*old).code == 0
    monkeypatch.setenv("GH_TOKEN", "ghp_NEWSECRET0123456789")  # (the token rotated since)
    new = ("tok=ghp_NEWSECRET0123456789", "api_key=sk-NEWKEY-0123456789", "lang=fr")
    shown = [e2e.am("-n", *new), e2e.am("explain", "out.txt", *new), e2e.am("status", "--json", *new)]
    for run in shown:
        assert "variables api_key: (content " in run.text and "tok: (content " in run.text, run
        assert "lang: 'en' → 'fr'" in run.text, run
        assert "SECRET" not in run.text and "KEY-" not in run.text, run
    assert e2e.am(*new).code == 0
    conn = sqlite3.connect(e2e.root / ".agentmake" / "state.db")
    try:
        dump = "\n".join(conn.iterdump())
    finally:
        conn.close()
    assert "NEWSECRET" not in dump and "NEWKEY" not in dump


def test_a_secret_variable_a_report_template_sees_is_told_changed_by_digest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A template report sees every variable: one that changed is named, a secret one with its digest."""
    from agentmake.plan.changes import describe_changes

    monkeypatch.setenv("GH_TOKEN", "ghp_NEWSECRET0123456789")
    old = {"variables": {"api_key": "sk-OLDKEY-0123456789", "tok": "x", "lang": "en"}}
    new = {"variables": {"api_key": "sk-NEWKEY-0123456789", "tok": "ghp_NEWSECRET0123456789", "lang": "fr"}}
    told = [r.message for r in describe_changes(old, new, None)]
    assert told[0].startswith("variable api_key changed (content ") and "KEY-" not in told[0], told
    assert told[1] == "variable lang changed 'en' → 'fr'", told
    assert told[2].startswith("variable tok changed 'x' → (content ") and "SECRET" not in told[2], told
