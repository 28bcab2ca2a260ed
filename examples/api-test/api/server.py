"""A small to-do list HTTP API on the standard library (`http.server`), kept in memory.

Endpoints:
    GET    /health             {"status": "ok"}
    GET    /todos[?done=BOOL]  the list of to-dos, optionally filtered
    POST   /todos              create from {"title": str, "done": bool?}: 201, or 400 on a bad body
    GET    /todos/ID           one to-do, or 404
    PATCH  /todos/ID           change "title" and/or "done": 200, 400 or 404
    DELETE /todos/ID           204, or 404
    GET    /stats              {"total": n, "done": n, "open": n}

`make_server(port=0)` binds 127.0.0.1 on a free port (tests start one server per process, so they can run in
parallel). `python3 api/server.py [--port N]` serves until interrupted and prints the URL first.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TODO_PATH = re.compile(r"^/todos/(\d+)$")


class TodoStore:
    """To-dos by id; safe to use from the server's request threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._todos: dict[int, dict] = {}
        self._next_id = 1

    def create(self, title: str, done: bool = False) -> dict:
        with self._lock:
            todo = {"id": self._next_id, "title": title, "done": done}
            self._todos[todo["id"]] = todo
            self._next_id += 1
            return dict(todo)

    def list(self, done: bool | None = None) -> list[dict]:
        with self._lock:
            return [dict(t) for t in self._todos.values() if done is None or t["done"] == done]

    def get(self, todo_id: int) -> dict | None:
        with self._lock:
            todo = self._todos.get(todo_id)
            return dict(todo) if todo else None

    def update(self, todo_id: int, changes: dict) -> dict | None:
        with self._lock:
            todo = self._todos.get(todo_id)
            if todo is None:
                return None
            todo.update(changes)
            return dict(todo)

    def delete(self, todo_id: int) -> bool:
        with self._lock:
            return self._todos.pop(todo_id, None) is not None


class BadRequest(Exception):
    """The request body is not what the endpoint accepts."""


def validate(body: object, *, partial: bool) -> dict:
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    unknown = set(body) - {"title", "done"}
    if unknown:
        raise BadRequest(f"unknown fields: {', '.join(sorted(unknown))}")
    if not partial and "title" not in body:
        raise BadRequest("title is required")
    if "title" in body and (not isinstance(body["title"], str) or not body["title"].strip()):
        raise BadRequest("title must be a non-empty string")
    if "done" in body and not isinstance(body["done"], bool):
        raise BadRequest("done must be true or false")
    return body


class Handler(BaseHTTPRequestHandler):
    store: TodoStore  # set on the subclass made by make_server
    server_version = "TodoAPI/1.0"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def send_json(self, status: int, payload: object = None) -> None:
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        if payload is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def read_json(self) -> object:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            return json.loads(self.rfile.read(length) or b"null")
        except ValueError as exc:
            raise BadRequest(f"invalid JSON: {exc}") from exc

    def route(self, method: str) -> None:
        url = urlsplit(self.path)
        match = TODO_PATH.match(url.path)
        try:
            if method == "GET" and url.path == "/health":
                self.send_json(200, {"status": "ok"})
            elif method == "GET" and url.path == "/stats":
                todos = self.store.list()
                done = sum(1 for t in todos if t["done"])
                self.send_json(200, {"total": len(todos), "done": done, "open": len(todos) - done})
            elif method == "GET" and url.path == "/todos":
                flag = parse_qs(url.query).get("done", [None])[0]
                if flag not in (None, "true", "false"):
                    raise BadRequest("done must be true or false")
                self.send_json(200, self.store.list(None if flag is None else flag == "true"))
            elif method == "POST" and url.path == "/todos":
                body = validate(self.read_json(), partial=False)
                self.send_json(201, self.store.create(body["title"].strip(), body.get("done", False)))
            elif match and method in ("GET", "PATCH", "DELETE"):
                todo_id = int(match.group(1))
                if method == "GET":
                    todo = self.store.get(todo_id)
                elif method == "PATCH":
                    todo = self.store.update(todo_id, validate(self.read_json(), partial=True))
                else:
                    todo = {} if self.store.delete(todo_id) else None
                if todo is None:
                    self.send_json(404, {"error": f"no to-do {todo_id}"})
                else:
                    self.send_json(204 if method == "DELETE" else 200, None if method == "DELETE" else todo)
            else:
                self.send_json(404, {"error": f"no route {method} {url.path}"})
        except BadRequest as exc:
            self.send_json(400, {"error": str(exc)})

    def do_GET(self) -> None:
        self.route("GET")

    def do_POST(self) -> None:
        self.route("POST")

    def do_PATCH(self) -> None:
        self.route("PATCH")

    def do_DELETE(self) -> None:
        self.route("DELETE")


def make_server(port: int = 0, store: TodoStore | None = None) -> ThreadingHTTPServer:
    """A server on 127.0.0.1:`port` (0: any free port) with its own store; `serve_forever()` runs it."""
    handler = type("BoundHandler", (Handler,), {"store": store or TodoStore()})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the to-do API on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    server = make_server(parser.parse_args().port)
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
