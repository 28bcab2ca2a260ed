"""Secrets found where the earlier hunts left them: a template report's variables kept as they were in the
state database, ..."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import FakeAgents, RunnerProject
from e2e_helpers import E2E

from agentmake.runners.redact import Redactor, header_values


def _dump(root: Path) -> str:
    conn = sqlite3.connect(root / ".agentmake" / "state.db")
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def test_a_secret_variable_a_report_template_sees_is_not_kept_in_the_state(
    tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A template report sees (and is keyed on) every variable: one whose name looks secret (`api_key=` on
    the command line) or that holds a secret of the environment (`tok=$GH_TOKEN`) is kept in its record as
    its digest, as a prompt's is; a change of it still renders the report again, and explain names it."""
    monkeypatch.setenv("GH_TOKEN", "ghp_OLDSECRET0123456789")
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write(
        "Agentfile",
        """\
        tok = "none"
        api_key = "none"
        lang = "en"
        agent a:
            outputs = out.txt
            run = "echo hello > {output}"
        report r:
            inputs = out.txt
            output = REPORT.md
            template = t.md
        """,
    )
    e2e.write("t.md", "{{ title }} {{ variables.lang }}\n")
    old = ("tok=ghp_OLDSECRET0123456789", "api_key=sk-OLDKEY-0123456789", "lang=en")
    assert e2e.am(*old).code == 0
    dump = _dump(e2e.root)
    assert "OLDSECRET" not in dump and "OLDKEY" not in dump
    assert '"lang": "en"' in dump  # (a plain variable is kept as it is: explain shows it)
    assert e2e.am(*old).summary.up_to_date == 2  # (the digest is stable: nothing renders again)
    new = ("tok=ghp_OLDSECRET0123456789", "api_key=sk-NEWKEY-0123456789", "lang=en")
    told = e2e.am("explain", "REPORT.md", *new)
    assert "variable api_key changed (content " in told.text and "KEY-" not in told.text, told
    run = e2e.am(*new)
    assert run.summary.ran == 1, run
    assert "NEWKEY" not in _dump(e2e.root)


def test_more_credential_names_look_secret() -> None:
    """Headers an exporter or CLI sends (OTEL_EXPORTER_OTLP_HEADERS holds `Authorization=Bearer …`,
    ANTHROPIC_CUSTOM_HEADERS), GitLab's CI_JOB_JWT, an authorization value; a path or a setting
    that only mentions one does not."""
    from agentmake.runners.redact import looks_secret

    for name in ("OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
                 "ANTHROPIC_CUSTOM_HEADERS", "CI_JOB_JWT", "CI_JOB_JWT_V2",
                 "HTTP_AUTHORIZATION", "NPM_TOKEN", "HF_TOKEN", "AWS_SESSION_TOKEN"):  # fmt: skip
        assert looks_secret(name), name
    for name in ("XAUTHORITY", "KUBECONFIG", "DATABASE_URL", "HEADER_ROW", "GIT_AUTHOR_NAME"):
        assert not looks_secret(name), name


def test_each_header_value_of_a_headers_variable_is_a_secret_of_its_own(
    tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OTEL's `key=value,...` (values percent-encoded) and `Name: value` lines: a client logging the header
    as it sends it (`Authorization: Bearer TOKEN`) shows neither the whole value nor the token."""
    from agentmake.runners.redact import Redactor

    otel = "Authorization=Bearer%20otel-SECRET-0123456,x-scope=tenant-abcdefgh"
    custom = "X-Api-Key: custom-SECRET-0123456\nX-Trace: on"
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", otel)
    monkeypatch.setenv("ANTHROPIC_CUSTOM_HEADERS", custom)
    redact = Redactor.from_environ({"OTEL_EXPORTER_OTLP_HEADERS": otel, "ANTHROPIC_CUSTOM_HEADERS": custom})
    shown = redact("POST Authorization: Bearer otel-SECRET-0123456\nx-api-key=custom-SECRET-0123456")
    assert "SECRET" not in shown and "[redacted OTEL_EXPORTER_OTLP_HEADERS]" in shown, shown
    assert "tenant-abcdefgh" in redact("tenant-abcdefgh")  # (a header's value that is no credential...)
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write(
        "Agentfile",
        """\
        agent a:
            outputs = out.txt
            run = "echo $OTEL_EXPORTER_OTLP_HEADERS; printenv ANTHROPIC_CUSTOM_HEADERS >&2; echo > {output}"
        """,
    )
    assert e2e.am().code == 0
    logs = e2e.read(".agentmake/logs/a.1.out") + e2e.read(".agentmake/logs/a.1.err")
    assert "SECRET" not in logs and "[redacted ANTHROPIC_CUSTOM_HEADERS]" in logs, logs


def test_an_answer_whose_log_was_redacted_elsewhere_is_still_salvaged(
    project: RunnerProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A JSON log may hold a secret outside the answer (claude's verbose messages or codex's events quoting a
    command's output, `env`): redacting it leaves the answer as the agent gave it, so a later build whose
    attempt for the same key was never recorded uses it rather than paying again. An answer that held a
    secret itself (the log now holds it redacted) is asked again: its text is no longer the agent's."""
    import json
    import threading

    from agentmake.model import RunnerSpec
    from agentmake.plan import Decision

    monkeypatch.setenv("DEPLOY_TOKEN", "tok-SECRET222-fedcba9876543210")
    calls = project.root / "calls"
    result = {"type": "result", "subtype": "success", "is_error": False, "total_cost_usd": 0.5}
    body = (
        'echo x >> "$CALLS"\n'
        'printf \'[{"type":"user","content":"env: DEPLOY_TOKEN=%s"},%s]\\n\' "$DEPLOY_TOKEN" "$RESULT"\n'
    )
    runner = project.root / "bin" / "verbose-claude"
    runner.parent.mkdir()
    runner.write_text("#!/bin/sh\ncat >/dev/null\n" + body)
    runner.chmod(0o755)
    project.runners["v"] = RunnerSpec(
        name="v", command=(str(runner),), base="claude", format="claude-json",
        env=("DEPLOY_TOKEN", "RESULT", "CALLS"),
    )  # fmt: skip
    monkeypatch.setenv("CALLS", str(calls))
    logs = project.root / ".agentmake" / "logs"
    for answer, salvaged in (("bonjour", True), ("the token is tok-SECRET222-fedcba9876543210", False)):
        monkeypatch.setenv("RESULT", json.dumps({**result, "result": answer}))
        calls.unlink(missing_ok=True)
        decision = Decision("a", "run", key=f"k-{salvaged}", prompt="x")
        first = project.executor().execute(project.agent("a", runner="v"), decision, 1, threading.Event())
        assert first.outcome == "ok", first.message
        assert "SECRET222" not in (logs / "a.1.out").read_text()  # (the log is redacted)
        # the answer was never recorded (agentmake died): the next build's first attempt of the same key
        again = project.executor().execute(project.agent("a", runner="v"), decision, 1, threading.Event())
        assert again.outcome == "ok", again.message
        assert again.salvaged is salvaged, (answer, again.message)
        assert calls.read_text().count("x") == (1 if salvaged else 2), answer
        assert again.staged["out.md"].read_text() == answer  # (the agent's answer, never a redacted one)


def test_a_secret_percent_encoded_in_a_url_is_redacted() -> None:
    """A key with `/`, `+` or `=` (AWS's secret keys, base64 tokens) as an HTTP client logs it in a query
    string or form body: percent-encoded (`%2F`, `%2B`, `%3D`; a space as `+` or `%20`)."""
    from agentmake.runners.redact import Redactor

    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfi+CYEXAMPLEKEY="
    redact = Redactor({"AWS_SECRET_ACCESS_KEY": secret, "DB_PASSWORD": "correct horse battery"})
    for shown in (
        "GET /x?k=wJalrXUtnFEMI%2FK7MDENG%2FbPxRfi%2BCYEXAMPLEKEY%3D HTTP/1.1",
        "GET /x?k=wJalrXUtnFEMI%2fK7MDENG%2fbPxRfi%2bCYEXAMPLEKEY%3d HTTP/1.1",  # (lower-case hex)
        "GET /x?k=wJalrXUtnFEMI/K7MDENG/bPxRfi%2BCYEXAMPLEKEY%3D HTTP/1.1",  # (`/` left as it is)
        "body: password=correct+horse+battery&x=1",
        "body: password=correct%20horse%20battery&x=1",
    ):
        clean = redact(shown)
        assert "EXAMPLEKEY" not in clean and "horse" not in clean and "[redacted " in clean, clean


@pytest.mark.parametrize("value", ["Authorization= ,x=yyyyyyyy", "X-Api-Key:\t,Authorization=%20"])
def test_a_headers_variable_with_an_empty_credential_header_is_no_crash(value: str) -> None:
    # (an empty header's value split to nothing: every agentmake command that read the environment ended in
    # an IndexError traceback)
    assert all(text.strip() for text in header_values(value))
    redact = Redactor.from_environ({"OTEL_EXPORTER_OTLP_HEADERS": value})
    assert redact("a %20 b, x=yyyyyyyy") == "a %20 b, x=yyyyyyyy"  # (nothing of a header that is not secret)
