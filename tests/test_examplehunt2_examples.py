"""The example projects as a new user meets them: a mistake in an input (a spec that is not JSON, a page
that is not UTF-8) fails its task at once, with one line naming the file, not a Python traceback after
retries that could only fail alike; a report row says what failed, and only that."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from test_examples import AGENTMAKE, agentmake, copy_example

from agentmake.graph import build_graph
from agentmake.model import AgentSpec
from agentmake.scheduler.tasks import max_attempts, runner_of
from agentmake.syntax.load import load_agentfile

pytestmark = pytest.mark.slow


def failing_build(project: Path, *args: str) -> str:
    """Run a build that must fail (exit 1): all it printed."""
    proc = subprocess.run(
        [*AGENTMAKE, *args], cwd=project, capture_output=True, text=True, timeout=120,
        env=dict(os.environ, NO_COLOR="1", AGENTMAKE_BACKOFF="0.01"),
    )  # fmt: skip
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    return out


def attempt_logs(project: Path, stem: str) -> list[Path]:
    """The stderr logs of every attempt of the task whose log names start with `stem`."""
    return sorted((project / ".agentmake" / "logs").glob(f"{stem}*.err"))


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b'{\n  "request": {"method": "GET",\n  "path": "/x",,\n}\n', "endpoints/stats.json:3:16: not JSON"),
        (b'{"request": {"method": "GET", "path": "/caf\xe9"}}\n', "endpoints/stats.json: not UTF-8"),
        (b'[{"method": "GET", "path": "/stats"}]\n', "endpoints/stats.json: a test spec is a JSON object"),
        (b'{"request": {"method": "GET"}}\n', 'endpoints/stats.json: "request" must be an object'),
        (b'{"request": {"method": "GET", "path": "/"}, "expect": [200]}\n', '"expect" must be an object'),
    ],
)
def test_api_test_names_a_spec_it_cannot_read(tmp_path: Path, content: bytes, said: str) -> None:
    project = copy_example("api-test", tmp_path)
    (project / "endpoints" / "stats.json").write_bytes(content)
    out = failing_build(project, "test:stats")
    failure = next(line for line in out.splitlines() if line.startswith("✗ test:stats"))
    assert said in failure, out
    logs = attempt_logs(project, "test_stats")
    assert len(logs) == 1, logs
    err = logs[0].read_text()
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def test_translate_fails_a_page_that_is_not_utf8_once_naming_it(tmp_path: Path) -> None:
    project = copy_example("translate", tmp_path)
    (project / "docs" / "latin.md").write_bytes(b"# Caf\xe9\n\nHello world.\n")
    out = failing_build(project, "translate:latin")
    failure = next(line for line in out.splitlines() if line.startswith("✗ translate:latin"))
    assert "docs/latin.md: not UTF-8" in failure and "after" not in failure, out
    logs = attempt_logs(project, "translate_latin")
    assert len(logs) == 1, logs  # not retried: the same page fails the same way
    assert "Traceback" not in logs[0].read_text()


@pytest.mark.parametrize("profile", ["offline", "llm"])
@pytest.mark.parametrize("name", ["code-review", "translate", "api-test"])
def test_examples_do_not_retry_their_local_tools(tmp_path: Path, name: str, profile: str) -> None:
    """A shell task of an example is a local program of `tools/` that, given the same files, fails the same
    way again: a retry only makes the user wait (the backoff) for the same error. It is tried once."""
    project = copy_example(name, tmp_path)
    agentfile = load_agentfile(project / "Agentfile", {"profile": profile})
    graph = build_graph(agentfile)
    shell = [t for t in graph.tasks.values() if isinstance(t.spec, AgentSpec) and t.spec.is_shell]
    assert shell or profile == "llm", name
    for task in shell:
        assert max_attempts(task, runner_of(task, agentfile), agentfile) == 1, task.id


def test_api_test_report_names_the_expected_status_only_when_it_differs(tmp_path: Path) -> None:
    project = copy_example("api-test", tmp_path)
    spec_path = project / "endpoints" / "stats.json"
    spec = json.loads(spec_path.read_text())
    spec["expect"]["json"]["open"] = 2  # the body is wrong, the status is right
    spec_path.write_text(json.dumps(spec))
    agentmake(project, "report")
    report = (project / "API_REPORT.md").read_text()
    row = next(line for line in report.splitlines() if line.startswith("| stats |"))
    assert row.startswith("| stats | `GET /stats` | 200 | ") and row.endswith("| FAIL |"), report
    assert "body.open: expected 2, got 1" in report
