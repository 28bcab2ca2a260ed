"""Offline `test` agent: exercise one endpoint of the API against a fresh server, write a JSON verdict.

The server runs in this process, in a thread, on 127.0.0.1 with a port chosen by the OS: every task has its
own server and its own empty store, so tasks are independent and can run in parallel, and nothing outlives
the task.

Spec (`endpoints/NAME.json`): `setup` requests (must succeed), the `request` under test, `expect` (`status`,
`json` — a subset match: expected keys must be present with equal values, lists match item by item —,
`headers`, `max_latency_ms`), and `after` requests with their expected status.

Usage: python3 tools/run_endpoint.py SERVER.py SPEC.json OUTPUT.json
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request


def load_server_module(path: str):
    spec = importlib.util.spec_from_file_location("api_server", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def call(base: str, req: dict) -> tuple[int, dict[str, str], object, float]:
    """(status, headers, decoded JSON body or None, latency in ms) of one request."""
    data = json.dumps(req["body"]).encode() if "body" in req else None
    request = urllib.request.Request(base + req["path"], data=data, method=req["method"])
    if data is not None:
        request.add_header("Content-Type", "application/json")
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            status, headers, raw = resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        status, headers, raw = err.code, dict(err.headers), err.read()
    latency = (time.perf_counter() - start) * 1000
    return status, headers, json.loads(raw) if raw else None, latency


def mismatches(expected: object, actual: object, where: str = "body") -> list[str]:
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {json.dumps(actual)}"]
        out = []
        for key, value in expected.items():
            if key not in actual:
                out.append(f"{where}.{key}: missing")
            else:
                out += mismatches(value, actual[key], f"{where}.{key}")
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{where}: expected {len(expected)} items, got {json.dumps(actual)}"]
        return [
            m
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for m in mismatches(e, a, f"{where}[{i}]")
        ]
    return (
        [] if expected == actual else [f"{where}: expected {json.dumps(expected)}, got {json.dumps(actual)}"]
    )


def run(server_path: str, spec: dict) -> dict:
    server = load_server_module(server_path).make_server(0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    req, expect = spec["request"], spec.get("expect", {})
    failures: list[str] = []
    try:
        for step in spec.get("setup", []):
            status, _, _, _ = call(base, step)
            if status >= 400:
                failures.append(f"setup {step['method']} {step['path']} returned {status}")
        status, headers, body, latency = call(base, req)
        if status != expect.get("status", 200):
            failures.append(f"status {status}, expected {expect.get('status', 200)}")
        if "json" in expect:
            failures += mismatches(expect["json"], body)
        for name, value in expect.get("headers", {}).items():
            if headers.get(name) != value:
                failures.append(f"header {name}: expected {value!r}, got {headers.get(name)!r}")
        if latency > expect.get("max_latency_ms", float("inf")):
            failures.append(f"latency {latency:.1f} ms over {expect['max_latency_ms']} ms")
        for step in spec.get("after", []):
            after_status, _, _, _ = call(base, step)
            if after_status != step.get("status", 200):
                failures.append(
                    f"then {step['method']} {step['path']}: status {after_status}, "
                    f"expected {step.get('status', 200)}"
                )
    finally:
        server.shutdown()
        server.server_close()
    return {
        "method": req["method"],
        "path": req["path"],
        "status": status,
        "expected_status": expect.get("status", 200),
        "latency_ms": round(latency, 1),
        "pass": not failures,
        "failures": failures,
    }


class SpecError(Exception):
    """A spec file that cannot be read as a test: the message names the file (and line) and what is wrong."""


def load_spec(path: str) -> dict:
    """The spec in `path`, or SpecError: a mistake in a spec is the user's to fix, told in one line (the
    build shows a tool's last stderr line), not a traceback of the JSON decoder that names no file."""
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = f"byte 0x{data[exc.start]:02x} at offset {exc.start}"
        raise SpecError(f"{path}: not UTF-8 text ({bad})") from None
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SpecError(f"{path}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}") from None
    if not isinstance(spec, dict):
        raise SpecError(f"{path}: a test spec is a JSON object, this file holds a {type(spec).__name__}")
    if not is_request(spec.get("request")):
        raise SpecError(f'{path}: "request" must be an object with a "method" and a "path"')
    if not isinstance(spec.get("expect", {}), dict):
        raise SpecError(f'{path}: "expect" must be an object ("status", "json", "headers"…)')
    for key in ("setup", "after"):
        steps = spec.get(key, [])
        if not isinstance(steps, list) or not all(is_request(step) for step in steps):
            raise SpecError(f'{path}: "{key}" must be a list of requests, each with a "method" and a "path"')
    return spec


def is_request(value: object) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("method"), str)
        and isinstance(value.get("path"), str)
    )


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    server_path, spec_path, output = argv
    try:
        spec = load_spec(spec_path)
    except SpecError as exc:
        print(exc, file=sys.stderr)
        return 1
    request, expect = spec.get("request", {}), spec.get("expect", {})
    result = {
        "endpoint": os.path.splitext(os.path.basename(spec_path))[0],
        "description": spec.get("description", ""),
        # what was asked, known whether or not the server answers: the report's row names it
        "method": request.get("method", "?"),
        "path": request.get("path", "?"),
        "expected_status": expect.get("status", 200),
    }
    try:
        result.update(run(server_path, spec))
    except (OSError, KeyError, ValueError) as exc:  # the server failed to start or answer: a failed test
        result.update({"status": None, "latency_ms": None, "pass": False, "failures": [f"error: {exc}"]})
    os.makedirs(os.path.dirname(output) or ".", exist_ok=True)
    with open(output, "w", encoding="utf-8") as fh:
        json.dump(result, fh, indent=2)
        fh.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
