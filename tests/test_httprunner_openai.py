"""The `openai-http` runner against a real OpenAI-compatible HTTP server (http.server on 127.0.0.1, answering
as vLLM does: shared/RUNNERS.md): its client runs as the attempt's process, so timeouts, retries, logs and
redaction treat it as any agent CLI."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, Run

from agentmake.errors import AgentfileError
from agentmake.plan.keys import runner_parts
from agentmake.runners.classify import classify_failure
from agentmake.runners.invocation import llm_invocation
from agentmake.runners.parse import parse_openai_json
from agentmake.runners.presets import PRESETS
from agentmake.syntax import load_agentfile

KEY = "sk-local-0123456789abcdef"  # looks secret by its variable's name, OPENAI_API_KEY


@dataclass
class Server:
    """An OpenAI-compatible server: serves `models`; `script` holds the replies to come, one per chat call
    (("ok",), ("status", code, headers), ("hang",)), then "ok"; `key` None accepts any caller."""

    models: tuple[str, ...] = ("qwen3",)
    key: str | None = None
    script: list[tuple[Any, ...]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def reply(self, h: BaseHTTPRequestHandler) -> None:
        if h.command == "GET" and h.path == "/v1/models":
            return self.send(h, 200, {"object": "list", "data": [{"id": m} for m in self.models]})
        body = json.loads(h.rfile.read(int(h.headers["Content-Length"])))
        self.calls.append({"path": h.path, "auth": h.headers.get("Authorization"), "body": body})
        if self.key is not None and h.headers.get("Authorization") != f"Bearer {self.key}":
            given = (h.headers.get("Authorization") or "").removeprefix("Bearer ")
            error = {"message": f"invalid api key {given!r}", "type": "AuthenticationError", "code": 401}
            return self.send(h, 401, {"error": error})
        if body["model"] not in self.models:
            error = {"message": f"The model `{body['model']}` does not exist.", "type": "NotFoundError"}
            return self.send(h, 404, {"error": {**error, "param": "model", "code": 404}})
        step = self.script.pop(0) if self.script else ("ok",)
        if step[0] == "hang":
            self.release.wait(30)
            return None
        if step[0] == "status":
            error = {"message": "server busy", "type": "ServiceUnavailableError", "code": step[1]}
            return self.send(h, step[1], {"error": error}, step[2])
        prompt = body["messages"][0]["content"]
        return self.send(h, 200, {
            "id": "chatcmpl-1", "object": "chat.completion", "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": f"ANSWER<{prompt}>"},
                         "finish_reason": step[1] if len(step) > 1 else "stop"}],
            "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
        })  # fmt: skip

    @staticmethod
    def send(h: BaseHTTPRequestHandler, code: int, value: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(value).encode()
        h.send_response(code)
        for name, text in {"Content-Type": "application/json", **(headers or {})}.items():
            h.send_header(name, text)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.reply(self)

        def do_POST(self) -> None:
            state.reply(self)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    state.release.set()
    httpd.shutdown()
    httpd.server_close()


class HttpE2E(E2E):
    """A project whose agentmake runs with OPENAI_API_KEY (and `extra`) set."""

    extra: dict[str, str]

    def env(self) -> dict[str, str]:
        env = super().env()
        env.pop("OPENAI_BASE_URL", None)
        env.update(OPENAI_API_KEY=KEY, **self.extra)
        return env


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> HttpE2E:
    project = HttpE2E(tmp_path / "proj", fake_agents)
    project.extra = {}
    return project


def agentfile(url: str, *, model: str = "qwen3", extra: str = "") -> str:
    return f"""\
backoff = 0.01
runner = openai-http

runner openai-http:
    url = {url}
    model = {model}
{extra}
agent a:
    inputs = in.txt
    outputs = out/a.md
    prompt = "Summarise: {{{{ read('in.txt') }}}}"
"""


def status(e2e: E2E) -> dict[str, Any]:
    run = e2e.am("status", "--json")
    assert run.code == 0, run
    return {row["task"]: row for row in json.loads(run.out)}


def build(e2e: HttpE2E, url: str, **kw: str) -> Run:
    e2e.write("Agentfile", agentfile(url, **kw), dedent=False)
    e2e.write("in.txt", "hello")
    return e2e.am("a")


def test_a_build_writes_the_servers_answer_and_its_tokens(e2e: HttpE2E, server: Server) -> None:
    server.key = KEY
    run = build(e2e, server.url)
    assert run.code == 0, run
    assert e2e.read("out/a.md") == "ANSWER<Summarise: hello>"
    [call] = server.calls
    assert call["path"] == "/v1/chat/completions"
    assert call["auth"] == f"Bearer {KEY}"
    assert call["body"] == {
        "model": "qwen3",
        "messages": [{"role": "user", "content": "Summarise: hello"}],
        "stream": False,
    }
    row = status(e2e)["a"]
    assert (row["state"], row["last_tokens_in"], row["last_tokens_out"], row["last_cost"]) == (
        "up to date", 11, 7, None
    )  # fmt: skip
    assert e2e.am("a").summary.up_to_date == 1  # (nothing changed: no second call)
    assert len(server.calls) == 1
    assert leaked(e2e) == []


def leaked(e2e: E2E) -> list[Path]:
    """The project's files (outputs, logs, the state database) that hold the key."""
    return [p for p in e2e.root.rglob("*") if p.is_file() and KEY.encode() in p.read_bytes()]


def test_a_rate_limit_is_retried_after_what_the_server_says(e2e: HttpE2E, server: Server) -> None:
    server.script = [("status", 429, {"Retry-After": "0"}), ("status", 503, {})]
    run = build(e2e, server.url)
    assert run.code == 0, run
    assert len(server.calls) == 3
    assert "rate limited: HTTP 429" in run.err and "retry in 0s" in run.err
    assert "server overloaded or failing: HTTP 503" in run.err
    assert e2e.read("out/a.md") == "ANSWER<Summarise: hello>"
    assert re.search(r"^a +done +[\d.]+s +3$", run.err, re.M), run  # (the 3 attempts counted)


def test_a_refused_key_fails_at_once_with_what_to_set(e2e: HttpE2E, server: Server) -> None:
    server.key = "sk-the-right-key-0000"
    run = build(e2e, server.url, extra="    retries = 3\n")
    assert run.code != 0
    assert len(server.calls) == 1, "an auth failure is not retried"
    assert "openai-http authentication failed" in run.err
    # (the key is set, to the wrong one: said so, not "set OPENAI_API_KEY": test_newuser26_auth_fix.py)
    assert "OPENAI_API_KEY is set, yet refused: it must be the server's key" in run.err, run
    # the server quoted the key it was given: it is redacted wherever agentmake keeps or shows it
    assert "[redacted OPENAI_API_KEY]" in run.err
    assert leaked(e2e) == []
    assert KEY not in run.text and KEY not in e2e.am("status", "--json").text


def test_a_model_the_server_does_not_serve_fails_at_once_naming_those_it_does(
    e2e: HttpE2E, server: Server
) -> None:
    server.models = ("qwen3", "llama3")
    run = build(e2e, server.url, model="qwen-typo", extra="    retries = 3\n")
    assert run.code != 0
    assert len(server.calls) == 1
    assert "openai-http request refused: HTTP 404" in run.err
    assert "model 'qwen-typo' is not served there; it serves: qwen3, llama3" in run.err


def test_a_server_that_hangs_is_ended_by_the_task_timeout(e2e: HttpE2E, server: Server) -> None:
    server.script = [("hang",)]
    # (5 s: the client, a Python program, is to send its request first: a loaded runner may take 1 s over it)
    run = build(e2e, server.url, extra="    timeout = 5s\n    retries = 0\n")
    assert run.code != 0
    assert "timed out after 5s; the process group was killed" in run.err
    assert len(server.calls) == 1
    assert not e2e.exists("out/a.md")
    assert [pid for pid in os.listdir("/proc") if pid.isdigit() and in_project(e2e, pid)] == []


def in_project(e2e: E2E, pid: str) -> bool:
    """Whether process `pid` (the client, were it left running) works in the project directory."""
    try:
        return os.readlink(f"/proc/{pid}/cwd") == str(e2e.root)
    except OSError:
        return False


def test_a_server_that_is_not_running_is_retried(e2e: HttpE2E) -> None:
    with socket.socket() as s:  # (a port nothing listens on: bound, then closed)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = build(e2e, f"http://127.0.0.1:{port}/v1", extra="    retries = 1\n")
    assert run.code != 0
    assert "retrying    a" in run.err
    assert f"cannot connect to http://127.0.0.1:{port}/v1/chat/completions: Connection refused" in run.err
    assert "after 2 attempts" in run.err


def test_a_cut_short_answer_is_no_output(e2e: HttpE2E, server: Server) -> None:
    server.script = [("ok", "length")]
    run = build(e2e, server.url, extra="    retries = 3\n")
    assert run.code != 0
    assert len(server.calls) == 1, "the same request would be cut alike"
    assert "cut short at its token limit" in run.err
    assert not e2e.exists("out/a.md")


def test_the_url_comes_from_the_environment_when_the_runner_names_none(e2e: HttpE2E, server: Server) -> None:
    e2e.write("Agentfile", "runner = openai-http\nmodel = qwen3\nagent a:\n    outputs = out/a.md\n"
              "    prompt = hi\n")  # fmt: skip
    e2e.write("hi", "hi")
    e2e.extra = {"OPENAI_BASE_URL": server.url.removesuffix("/v1")}  # (with or without /v1)
    run = e2e.am("a")
    assert run.code == 0, run
    assert server.calls[0]["path"] == "/v1/chat/completions"
    e2e.extra = {}
    run = e2e.am("a", "-B")
    assert (
        "runner openai-http has no server: set `url = http://HOST:PORT/v1` on it, or OPENAI_BASE_URL"
        in run.err
    )


def test_a_url_set_in_the_agentfile_is_keyed_and_the_environments_is_not() -> None:
    spec = PRESETS["openai-http"]
    assert "url" not in runner_parts(spec, "m")  # (every other key is as it was)
    assert runner_parts(PRESETS["claude"], "m") == {
        "command": ["claude", "-p", "--output-format", "json"], "model": "m", "model_flag": "--model",
        "format": "claude-json", "env": [],
    }  # fmt: skip
    from dataclasses import replace

    assert runner_parts(replace(spec, url="http://h:1/v1"), "m")["url"] == "http://h:1/v1"


@pytest.mark.parametrize(
    ("block", "said"),
    [
        (
            "runner r:\n    base = claude\n    url = http://h/v1\n",
            "`url` is the server of an openai-http runner",
        ),
        ("runner openai-http:\n    url = localhost:8000\n", "is no http:// or https:// URL"),
        ("runner openai-http:\n    url = http://me:pw@h/v1\n", "user or password"),
    ],
)
def test_a_bad_url_is_refused_when_the_agentfile_loads(tmp_path: Path, block: str, said: str) -> None:
    (tmp_path / "Agentfile").write_text(block + "agent a:\n    outputs = o\n    prompt = hi\n")
    with pytest.raises(AgentfileError, match=said):
        load_agentfile(tmp_path / "Agentfile")


def test_the_client_is_run_by_this_python_isolated_with_the_key_in_its_environment(tmp_path: Path) -> None:
    inv = llm_invocation(
        PRESETS["openai-http"], "openai-http", model="qwen3", prompt="hi", writes_files=False, root=tmp_path,
        home=tmp_path / "home", environ={"PATH": "/bin", "OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": "http://h"},
    )  # fmt: skip
    assert (
        inv.argv[1] == "-I"
        and inv.argv[2].endswith("openai_http.py")
        and inv.argv[3:] == ["--model", "qwen3"]
    )
    assert KEY not in " ".join(inv.argv)
    assert (
        inv.env is not None and inv.env["OPENAI_API_KEY"] == KEY and inv.env["OPENAI_BASE_URL"] == "http://h"
    )


def test_a_project_file_cannot_stand_in_for_a_module_of_the_client(tmp_path: Path, server: Server) -> None:
    (tmp_path / "json.py").write_text("raise SystemExit('the project json.py was imported')\n")
    inv = llm_invocation(
        PRESETS["openai-http"], "openai-http", model="qwen3", prompt="hi", writes_files=False, root=tmp_path,
        home=tmp_path / "home", environ={"PATH": "/bin", "OPENAI_BASE_URL": server.url},
    )  # fmt: skip
    proc = subprocess.run(
        inv.argv, input=inv.stdin, env=inv.env, cwd=inv.cwd, capture_output=True, timeout=30
    )
    assert proc.returncode == 0, proc.stderr
    assert parse_openai_json(proc.stdout.decode(), proc.stderr.decode()).answer == "ANSWER<hi>"


def test_an_error_quoting_a_5xx_number_is_judged_by_its_status() -> None:
    stdout = json.dumps({"error": {"message": "max_tokens must be <= 500"}, "status": 400})
    stderr = "openai-http: HTTP 400 from http://h/v1/chat/completions: max_tokens must be <= 500\n"
    verdict = classify_failure("openai-http", 1, parse_openai_json(stdout, stderr), "", stderr)
    assert (verdict.outcome, verdict.error_type) == ("fatal", "usage")


def test_an_agent_on_openai_http_without_a_model_is_refused_before_any_call(e2e: HttpE2E) -> None:
    e2e.write("Agentfile", "runner = openai-http\nagent a:\n    outputs = out/a.md\n    prompt = hi\n")
    e2e.write("hi", "hi")
    run = e2e.am("check")
    assert run.code != 0
    assert "a runs on openai-http, which needs a model" in run.err


def test_a_wrong_option_in_the_runners_command_is_told_in_one_line(e2e: HttpE2E, server: Server) -> None:
    run = build(e2e, server.url, extra='    command = "agentmake-openai-http --bogus"\n    retries = 3\n')
    assert run.code != 0
    assert "openai-http rejected its command line (exit 2): unrecognized arguments: --bogus" in run.err
    assert server.calls == []


def test_the_init_starter_edited_as_its_comment_says_builds_on_a_server(e2e: HttpE2E, server: Server) -> None:
    """The starter's comment offers openai-http: set `model`, and the url in a `runner openai-http:` block."""
    e2e.root.mkdir(parents=True, exist_ok=True)
    assert e2e.am("init").code == 0
    text = e2e.read("Agentfile")
    assert "openai-http" in text and "runner = claude " in text
    text = text.replace("runner = claude ", "runner = openai-http ", 1)
    text = text.replace("\njobs", "\nmodel = qwen3\njobs", 1)
    e2e.write("Agentfile", f"{text}\nrunner openai-http:\n    url = {server.url}\n", dedent=False)
    checked = e2e.am("check")
    assert checked.code == 0 and "warning" not in checked.err, checked
    run = e2e.am()
    assert run.code == 0 and run.summary.ran == 3, run
    assert e2e.read("build/summaries/example.md").startswith("ANSWER<"), run
