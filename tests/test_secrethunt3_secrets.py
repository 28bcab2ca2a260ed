"""Secrets found where the earlier hunts left them: a template report's variables kept as they were in the
state database, ..."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E


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
