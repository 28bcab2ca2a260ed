"""The `openai-http` runner's client: one chat completion from an OpenAI-compatible HTTP server (vLLM,
llama.cpp's server, LM Studio, ollama's /v1, or OpenAI itself), as a program of its own.

It runs as the runner's command, a process like any agent CLI, so that a timeout, Ctrl-C, kill -9 recovery,
the spawn log and output capture treat it as they treat the others: the prompt on stdin, the answer on
stdout. The invocation (`invocation.llm_invocation`) starts it as ``python -I <this file> --model MODEL``
(isolated: the project directory, its working directory, is not on its import path, so no file of the
project can stand in for a module of the standard library, which is all it imports).

The server: ``OPENAI_BASE_URL`` (the runner's `url`, put there by the invocation, else the environment's),
as ``http://host:port`` or ``http://host:port/v1`` (``/v1/chat/completions`` or ``/chat/completions`` is
added; a URL that already ends with ``/chat/completions`` is taken as it is). The key: ``OPENAI_API_KEY``,
sent as ``Authorization: Bearer``, when set (a local server usually needs none); it is never printed.

What it prints (`parse.parse_openai_json` reads it, `classify` judges it):
- exit 0: the server's response object on stdout, as the server sent it.
- exit 1: the server refused or failed (an HTTP error, an answer that is no chat completion): on stdout
  ``{"error": {"message", "type", "code"}, "status": HTTP status}``, on stderr one line saying the same,
  with ``retry in Ns`` when the server sent ``Retry-After``, and, for a 404, the models the server serves.
- exit 2: a usage error (its arguments, no or a bad URL): nothing was sent.
- exit 3: the server could not be reached (connection refused, reset, unknown host): stderr says which.
"""

from __future__ import annotations

import argparse
import datetime
import email.utils
import http.client
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, NoReturn

URL_ENV = "OPENAI_BASE_URL"
KEY_ENV = "OPENAI_API_KEY"
NAME = "openai-http"
EXIT_HTTP, EXIT_USAGE, EXIT_CONNECT = 1, 2, 3
_COMPLETIONS = "/chat/completions"


def endpoint(base: str) -> str:
    """The chat completions URL of a base URL (``http://h:8000`` or ``http://h:8000/v1``)."""
    base = base.rstrip("/")
    if base.endswith(_COMPLETIONS):
        return base
    return base + (_COMPLETIONS if base.endswith("/v1") else "/v1" + _COMPLETIONS)


def models_url(completions: str) -> str:
    return completions[: -len(_COMPLETIONS)] + "/models"


def shown(url: str) -> str:
    """`url` as it may be printed: without a user or password in it."""
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def check_url(url: str) -> str | None:
    """What is wrong with a base URL, or None."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{shown(url)!r} is no http:// or https:// URL"
    if "@" in parts.netloc:
        return "a URL with a user or password in it is not supported: give the key in OPENAI_API_KEY"
    return None


# the longest wait a Retry-After is taken to say (a day): a longer one, or a date further off, says this much
# (the scheduler waits at most its backoff cap anyway; printed with :g, a day stays plain digits)
RETRY_AFTER_CAP = 86400.0
_DELAY_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")  # (RFC 9110's delay-seconds, 1*DIGIT; a fraction taken)


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (RFC 9110 10.2.3: delay-seconds, or an HTTP-date), from 0 (a date
    past) to `RETRY_AFTER_CAP`; None for none or a value that is neither (a sign, an exponent, "inf",
    "nan": the field is invalid, and ignored)."""
    value = (value or "").strip()
    if not value:
        return None
    if _DELAY_SECONDS.fullmatch(value):
        return min(float(value), RETRY_AFTER_CAP)
    try:
        when = email.utils.parsedate_to_datetime(value)
        if when.tzinfo is None:  # ("-0000": an HTTP-date is in GMT)
            when = when.replace(tzinfo=datetime.timezone.utc)
        seconds = when.timestamp() - time.time()
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    return min(max(0.0, seconds), RETRY_AFTER_CAP)


def _error_of(body: bytes) -> dict[str, Any]:
    """The server's ``{"error": {...}}`` (or vLLM's older top-level ``{"message", "type", "code"}``, or a
    bare ``{"error": "text"}``) as ``{"message", "type", "code"}``; the body's start when it is no JSON."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        text = body.decode("utf-8", "replace").strip()
        return {"message": " ".join(text.split())[:300], "type": None, "code": None}
    err = value.get("error") if isinstance(value, dict) else None
    if isinstance(err, str):
        return {"message": err, "type": None, "code": None}
    if not isinstance(err, dict):
        err = value if isinstance(value, dict) else {}
    message = err.get("message")
    return {
        "message": message if isinstance(message, str) else json.dumps(value)[:300],
        "type": err.get("type") if isinstance(err.get("type"), str) else None,
        "code": err.get("code") if isinstance(err.get("code"), (str, int)) else None,
    }


def served_models(completions: str, headers: dict[str, str]) -> list[str] | None:
    """The ids `GET /v1/models` lists, or None when the server answers it with no such list."""
    req = urllib.request.Request(models_url(completions), headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            data = json.loads(resp.read())
    except (OSError, ValueError, RecursionError):
        return None
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return None
    return [i["id"] for i in items if isinstance(i, dict) and isinstance(i.get("id"), str)]


def _fail(status: int | None, err: dict[str, Any], line: str, code: int) -> int:
    print(json.dumps({"error": err, "status": status}), flush=True)
    print(f"{NAME}: {line}", file=sys.stderr, flush=True)
    return code


def _http_error(e: urllib.error.HTTPError, url: str, model: str, headers: dict[str, str]) -> int:
    err = _error_of(e.read())
    line = f"HTTP {e.code} from {shown(url)}: {err['message']}"
    if e.code == 404:
        models = served_models(url, headers)
        if models is None:
            line += " (no OpenAI-compatible API there: check the runner's url, e.g. http://host:8000/v1)"
        elif model not in models:
            line += f" (model {model!r} is not served there; it serves: {', '.join(models) or 'none'})"
    wait = retry_after(e.headers.get("Retry-After"))
    if wait is not None:
        line += f"; retry in {wait:g}s"
    return _fail(e.code, err, line, EXIT_HTTP)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # (its first line is what agentmake shows of a failure: the mistake, not argparse's usage line)
        self.exit(EXIT_USAGE, f"{NAME}: {message} (options: --model M, --max-tokens N, --temperature T)\n")


def main(argv: list[str] | None = None) -> int:
    ap = _Parser(prog=NAME, description="One chat completion; the prompt on stdin.")
    ap.add_argument("--model", required=True)
    ap.add_argument("--max-tokens", type=int, help="the answer's token limit (the server's default if unset)")
    ap.add_argument("--temperature", type=float)
    args = ap.parse_args(argv)
    base = os.environ.get(URL_ENV, "").strip()
    if not base:
        print(f"{NAME}: no server: set `url` on the runner, or {URL_ENV}", file=sys.stderr)
        return EXIT_USAGE
    wrong = check_url(base)
    if wrong is not None:
        print(f"{NAME}: bad server URL: {wrong}", file=sys.stderr)
        return EXIT_USAGE
    url = endpoint(base)
    prompt = sys.stdin.buffer.read().decode("utf-8", "replace")
    body: dict[str, Any] = {
        "model": args.model,
        "messages": [{"role": "user", "content": prompt}],
        "stream": False,
    }
    if args.max_tokens is not None:
        body["max_tokens"] = args.max_tokens
    if args.temperature is not None:
        body["temperature"] = args.temperature
    headers = {"Accept": "application/json", "User-Agent": "agentmake-openai-http"}
    key = os.environ.get(KEY_ENV, "").strip()
    if key:
        headers["Authorization"] = f"Bearer {key}"
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={**headers, "Content-Type": "application/json"}
    )
    # no timeout of its own: the task's time limit ends this process (a local model may think for long)
    try:
        with urllib.request.urlopen(req) as resp:
            data = resp.read()
    except urllib.error.HTTPError as e:
        return _http_error(e, url, args.model, headers)
    except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
        # (refused, reset, unknown host, or the answer cut off mid-way: `IncompleteRead`)
        reason = e.reason if isinstance(e, urllib.error.URLError) else e
        what = reason.strerror if isinstance(reason, OSError) and reason.strerror else str(reason)
        what = what or type(reason).__name__
        line = f"cannot connect to {shown(url)}: {what} (is the server running?)"
        return _fail(None, {"message": line, "type": "connection", "code": None}, line, EXIT_CONNECT)
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, dict) or not isinstance(value.get("choices"), list):
        err = _error_of(data)
        line = f"no chat completion from {shown(url)}: {err['message']}"
        return _fail(None, err, line, EXIT_HTTP)
    sys.stdout.write(data.decode("utf-8", "replace").strip() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
