"""Secrets from the environment that an agent prints are kept out of messages, status.md, the state
database, `agentmake status` and the logs (`agentmake.runners.redact`); the answer itself is the agent's."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import FakeAgents, RunnerProject
from e2e_helpers import E2E

from agentmake.model import Check, RunnerSpec
from agentmake.plan import Decision
from agentmake.runners.redact import Redactor, looks_secret

KEY = "sk-ant-SECRET111-0123456789abcdef"
TOKEN = "tok-SECRET222-fedcba9876543210"


def script(directory: Path, name: str, body: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text("#!/bin/sh\ncat >/dev/null\n" + body)
    path.chmod(0o755)
    return path


def leaked(root: Path, *secrets: str) -> list[str]:
    """Files under `root`, and rows of its state database, that hold one of `secrets` (or a part of one
    long enough to matter: its first 12 characters)."""
    found = []
    needles = [s.encode() for s in secrets] + [s[:12].encode() for s in secrets]
    for path in root.rglob("*"):
        if path.is_file() and any(n in path.read_bytes() for n in needles):
            found.append(str(path.relative_to(root)))
    db = root / ".agentmake" / "state.db"
    if db.exists():
        conn = sqlite3.connect(db)
        try:
            dump = "\n".join(conn.iterdump())
        finally:
            conn.close()
        found += [f"state.db: {s[:12]}" for s in secrets if s[:12] in dump]
    return found


def test_names_that_look_secret() -> None:
    for name in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN", "ANTHROPIC_AUTH_TOKEN",
                 "MY_AGENT_TOKEN", "DB_PASSWORD", "AWS_SECRET_ACCESS_KEY", "GOOGLE_APPLICATION_CREDENTIALS",
                 "GITHUB_PAT", "my_apikey", "SMTP_PASS"):  # fmt: skip
        assert looks_secret(name), name
    for name in ("PATH", "HOME", "PWD", "GIT_AUTHOR_NAME", "ANTHROPIC_BASE_URL", "LLM_MODEL", "KEYBOARD",
                 "CLAUDE_CODE_MAX_RETRIES", "GOOGLE_CLOUD_PROJECT", "TOKENIZERS_PARALLELISM"):  # fmt: skip
        assert not looks_secret(name), name


def test_redactor_replaces_values_longest_first_and_leaves_short_ones() -> None:
    redact = Redactor({"A_KEY": "abcdefgh", "B_TOKEN": "abcdefgh-longer", "C_PASSWORD": "short"})
    assert redact("x abcdefgh-longer y abcdefgh z short") == (
        "x [redacted B_TOKEN] y [redacted A_KEY] z short"
    )
    assert not Redactor({"C_PASSWORD": "1234567"}) and Redactor({"C_PASSWORD": "12345678"})
    env = Redactor.from_environ({"MY_TOKEN": TOKEN, "ANTHROPIC_BASE_URL": "https://proxy.example/v1"})
    assert env(f"{TOKEN} at https://proxy.example/v1") == "[redacted MY_TOKEN] at https://proxy.example/v1"


def test_a_key_quoted_by_a_refusing_cli_is_kept_out_of_messages_state_and_logs(
    tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reported case, through the real CLI: a runner based on claude whose command prints the refused
    key on stderr and exits 1."""
    bin_dir = tmp_path / "bin"
    script(bin_dir, "leaky", "echo \"Error: 401 invalid x-api-key '$ANTHROPIC_API_KEY'\" >&2\nexit 1\n")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write(
        "Agentfile",
        """\
        runner leaky:
            base = claude
            command = "leaky"

        agent a:
            outputs = out.md
            prompt = "hello"
            runner = leaky
        """,
    )
    run = e2e.am()
    assert run.code == 1, run
    assert "authentication failed" in run.err and "[redacted ANTHROPIC_API_KEY]" in run.err, run
    status = e2e.am("status")
    assert "[redacted ANTHROPIC_API_KEY]" in status.text, status
    for shown in (run.text, status.text):
        assert KEY[:12] not in shown
    assert "[redacted ANTHROPIC_API_KEY]" in e2e.read(".agentmake/status.md")
    assert "[redacted ANTHROPIC_API_KEY]" in e2e.read(".agentmake/logs/a.1.err")
    assert leaked(e2e.root, KEY) == []


def test_a_value_is_redacted_before_a_long_line_is_cut_short(project: RunnerProject, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A message quotes at most 240 characters of a line: a key across that cut must not leave its first
    part behind (redacting the message afterwards would no longer find it)."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    leaky = script(
        project.root / "bin",
        "leaky",
        "printf '%0200d invalid api key %s\\n' 0 \"$ANTHROPIC_API_KEY\" >&2\nexit 1\n",  # (key at 217-249)
    )
    project.runners["leaky"] = RunnerSpec(name="leaky", command=(str(leaky),), base="claude")
    res = project.run(project.agent("a", runner="leaky"))
    assert (res.outcome, res.error_type) == ("fatal", "auth"), res.message
    assert KEY[:8] not in res.message and "[redacted ANTH" in res.message, res.message


def test_json_errors_and_declared_env_are_redacted(project: RunnerProject, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """An error inside the CLI's JSON (claude's `result` of an `is_error` record) quoting a runner's
    declared, secret-looking `env`; a declared variable that does not look secret is shown as it is."""
    monkeypatch.setenv("MY_AGENT_TOKEN", TOKEN)
    monkeypatch.setenv("MY_AGENT_REGION", "eu-central-1")
    body = (
        'printf \'{"type":"result","subtype":"success","is_error":true,'
        '"result":"token %s refused in %s"}\\n\' "$MY_AGENT_TOKEN" "$MY_AGENT_REGION"\nexit 1\n'
    )
    leaky = script(project.root / "bin", "leaky", body)
    project.runners["leaky"] = RunnerSpec(
        name="leaky", command=(str(leaky),), base="claude", format="claude-json",
        env=("MY_AGENT_TOKEN", "MY_AGENT_REGION"),
    )  # fmt: skip
    res = project.run(project.agent("a", runner="leaky"))
    assert res.outcome == "retry", res.message
    assert "token [redacted MY_AGENT_TOKEN] refused in eu-central-1" in res.message, res.message
    assert leaked(project.root, TOKEN) == []


def test_shell_agents_and_check_commands_output_is_redacted(project: RunnerProject, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A shell agent and a check command get agentmake's whole environment: any secret-looking variable."""
    monkeypatch.setenv("DEPLOY_TOKEN", TOKEN)
    res = project.run(
        project.agent("s", run='echo "using $DEPLOY_TOKEN"; echo "bad $DEPLOY_TOKEN" >&2; exit 3')
    )
    assert res.outcome == "retry" and res.message == "exited with code 3: bad [redacted DEPLOY_TOKEN]"
    check = Check("command", 'echo "check saw $DEPLOY_TOKEN" >&2; exit 1')
    res = project.run(project.agent("c", run="echo ok > {output}", check=check))
    assert res.error_type == "check" and "check saw [redacted DEPLOY_TOKEN]" in res.message, res.message
    logs = project.root / ".agentmake" / "logs"
    assert (logs / "s.1.out").read_text() == "using [redacted DEPLOY_TOKEN]\n"
    assert (logs / "c.1.check.err").read_text() == "check saw [redacted DEPLOY_TOKEN]\n"
    assert leaked(project.root, TOKEN) == []


def test_the_answer_is_kept_as_the_agent_gave_it_but_its_log_is_redacted(project: RunnerProject) -> None:
    """The answer is the agent's work: written as given (agentmake never edits outputs). Its log is
    redacted; such a log no longer holds the answer as given, so it is not salvaged from it (its key file
    stays: a log redacted outside the answer is, test_secrethunt3_secrets)."""
    executor = project.executor()
    decision = Decision("a", "run", key="k1", prompt="x\nFAKE: show-env=ANTHROPIC_API_KEY")
    res = executor.execute(project.agent("a"), decision, 1, threading.Event())
    assert res.outcome == "ok", res.message
    assert "ANTHROPIC_API_KEY=fake-anthropic-key" in res.staged["out.md"].read_text()
    logs = project.root / ".agentmake" / "logs"
    assert "ANTHROPIC_API_KEY=[redacted ANTHROPIC_API_KEY]" in (logs / "a.1.out").read_text()
    again = project.executor().execute(project.agent("a"), decision, 1, threading.Event())
    assert again.outcome == "ok" and not again.salvaged, again.message  # (asked again)
    assert "ANTHROPIC_API_KEY=fake-anthropic-key" in again.staged["out.md"].read_text()
    again.staged["out.md"].unlink()
    res.staged["out.md"].unlink()
    assert leaked(project.root, "fake-anthropic-key") == []
    clean = Decision("b", "run", key="k2", prompt="no secret here")  # (a log without one keeps its key)
    assert executor.execute(project.agent("b"), clean, 1, threading.Event()).outcome == "ok"
    assert (logs / "b.1.key").exists()


def test_verbose_output_is_redacted(
    project: RunnerProject, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    prompt = "FAKE: stderr=progress\nFAKE: show-env=ANTHROPIC_API_KEY"
    res = project.run(project.agent("v", runner="llm"), prompt, verbose=True)
    assert res.outcome == "ok", res.message
    err = capsys.readouterr().err
    assert "[v] ANTHROPIC_API_KEY=[redacted ANTHROPIC_API_KEY]" in err and KEY[:12] not in err, err


def test_more_names_that_look_secret() -> None:
    """Plural and database names, and cloud ones; PWD only as part of a longer name."""
    for name in ("MYSQL_PWD", "PGPASSWORD", "OPENAI_API_KEYS", "GH_TOKENS", "APP_SECRETS", "DB_PASSWORDS",
                 "GPG_PASSPHRASE", "SVC_CREDENTIALS", "SENTRY_DSN", "AWS_SESSION_TOKEN",
                 "AZURE_CLIENT_SECRET", "AZURE_STORAGE_CONNECTION_STRING", "CLOUDSDK_AUTH_ACCESS_TOKEN",
                 "SLACK_WEBHOOK_URL"):  # fmt: skip
        assert looks_secret(name), name
    for name in ("PWD", "OLDPWD", "DATABASE_URL", "KEYBOARD", "CONNECTION_TIMEOUT"):
        assert not looks_secret(name), name


# name -> (value, what a log may show of it): the whole value, or for a URL only its password goes
PRINTED = {
    "MYSQL_PWD": ("mysql-SECRET333-0123", ""),
    "PGPASSWORD": ("pg-SECRET444-0123456", ""),
    "OPENAI_API_KEYS": ("sk-SECRET555-aaaa,sk-SECRET555-bbbb", ""),
    "GH_TOKENS": ("ghp_SECRET666-0123456", ""),
    "APP_SECRETS": ("app-SECRET777-0123456", ""),
    "SENTRY_DSN": ("https://SECRET888abcdef@o1.ingest.example/1", ""),
    "AZURE_STORAGE_CONNECTION_STRING": ("AccountName=x;AccountKey=SECRET999abc==", ""),
    "DATABASE_URL": ("postgres://app:db-SECRET000-pass@db.example:5432/app", "postgres://app:"),
    "HTTPS_PROXY": ("http://me:px-SECRET121-pass@proxy.example:3128", "http://me:"),
    "REDIS_URL": ("redis://:s3cr@cache.example:6379/0", "redis://:"),  # (short: only in its URL)
}


def test_secrets_a_shell_agent_prints_are_not_in_its_logs(
    tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the real CLI: a shell agent prints each value on stdout and stderr; the logs, the message
    and status.md hold none of them (of a URL, the password); the output is the agent's, untouched."""
    for name, (value, _) in PRINTED.items():
        monkeypatch.setenv(name, value)
    e2e = E2E(tmp_path / "proj", fake_agents)
    loop = f"for n in {' '.join(PRINTED)}; do printenv $n; printenv $n >&2; done"
    e2e.write(
        "Agentfile",
        f"""\
        agent a:
            outputs = out.txt
            retries = 0
            run = "printenv REDIS_URL >&2; {loop} | tee {{output}}; exit 1"
        """,
    )
    run = e2e.am()
    assert run.code == 1, run
    logs = e2e.read(".agentmake/logs/a.1.out") + e2e.read(".agentmake/logs/a.1.err")
    shown = logs + run.text + e2e.read(".agentmake/status.md")
    for name, (value, kept) in PRINTED.items():
        secret = value[len(kept) :].split("@")[0] if kept else value
        assert secret not in shown, (name, shown)
        assert f"[redacted {name}]" in logs, (name, logs)
        if kept:
            assert kept + f"[redacted {name}]@" in logs, (name, logs)
    assert "redis://:[redacted REDIS_URL]@cache.example:6379/0" in run.err, run
    assert leaked(e2e.root, *(v for v, k in PRINTED.values() if not k), "db-SECRET000", "px-SECRET121") == []


def test_a_secret_an_llm_agent_prints_is_not_in_its_log(
    project: RunnerProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A runner's declared `env` (here a database password and URL) printed by the agent: its log is
    redacted, the answer is the agent's."""
    monkeypatch.setenv("MYSQL_PWD", "mysql-SECRET333-0123")
    monkeypatch.setenv("DATABASE_URL", "mysql://app:db-SECRET000-pass@db/app")
    project.runners["db"] = RunnerSpec(
        name="db", command=("claude", "-p"), base="claude", env=("MYSQL_PWD", "DATABASE_URL")
    )
    res = project.run(project.agent("a", runner="db"), "FAKE: show-env=MYSQL_PWD,DATABASE_URL")
    assert res.outcome == "ok", res.message
    assert "db-SECRET000-pass" in res.staged["out.md"].read_text()
    log = (project.root / ".agentmake" / "logs" / "a.1.out").read_text()
    assert "MYSQL_PWD=[redacted MYSQL_PWD]" in log, log
    assert "DATABASE_URL=mysql://app:[redacted DATABASE_URL]@db/app" in log, log


ODD = 'tok/"SECRET"\\é\t☃-<1>&x'  # every kind of character a JSON string escapes, and '/'


def test_a_secret_in_a_json_log_is_redacted_as_json_escapes_it(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    """Through the real CLI: claude's JSON result quotes a value with quotes, a backslash, a slash, a tab
    and non-ASCII letters, all escaped (``\\"``, ``\\\\``, ``\\t``, ``\\u00e9``); the log holds none of it and
    stays JSON, the answer is the agent's."""
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write(
        "Agentfile",
        """\
        runner c:
            base = claude
            command = "claude -p --output-format json"
            env = MY_TOKEN

        agent a:
            outputs = out.md
            prompt = "FAKE: show-env=MY_TOKEN"
            runner = c
        """,
    )
    env = e2e.env()
    env["MY_TOKEN"] = ODD
    proc = subprocess.run(
        e2e.argv(()), cwd=e2e.root, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert e2e.read("out.md").endswith(f"MY_TOKEN={ODD}")
    log = e2e.read(".agentmake/logs/a.1.out")
    assert json.loads(log)["result"].endswith("MY_TOKEN=[redacted MY_TOKEN]"), log
    assert "SECRET" not in log, log


@pytest.mark.parametrize(
    "form",
    [
        pytest.param(lambda v: json.dumps(v), id="ensure_ascii"),
        pytest.param(lambda v: json.dumps(v, ensure_ascii=False), id="utf-8"),
        pytest.param(lambda v: json.dumps(v).replace("/", "\\/"), id="escaped-slash"),
        pytest.param(
            lambda v: json.dumps(v, ensure_ascii=False).translate(
                str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})
            ),
            id="go",
        ),
        pytest.param(lambda v: json.dumps(v).replace("\\u00e9", "\\u00E9"), id="upper-hex"),
        pytest.param(lambda v: json.dumps(json.dumps(v, ensure_ascii=False)), id="json-in-json"),
    ],
)
def test_json_escaped_forms_of_a_value_are_redacted(form: Callable[[str], str], tmp_path: Path) -> None:
    redact = Redactor({"MY_TOKEN": ODD})
    text = '{"out": ' + form(ODD) + "}"
    assert "SECRET" not in redact(text) and "[redacted MY_TOKEN]" in redact(text), text
    log = tmp_path / "a.1.out"
    log.write_bytes(text.encode())
    assert redact.redact_file(log) and b"SECRET" not in log.read_bytes()
