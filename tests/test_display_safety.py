"""Terminal safety: file names, task ids and agents' messages reach the terminal with their control characters
escaped (`term_safe`), in every display (plain, silent, live, the summary) and in what the CLI prints
(status, explain, graph, list, clean -n, -n); machine formats (JSON, DOT, Mermaid) keep the names exact and
stay valid."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from rich.console import Console

from agentmake.display import LiveDisplay, PlainDisplay, SilentDisplay, render_status_json, render_status_text
from agentmake.display.base import summary_lines
from agentmake.display.fmt import term_lines, term_safe
from agentmake.graph.export import render_graph
from agentmake.scheduler.events import BuildResult, TaskEvent, TaskOutcome

T0 = 1_700_000_000.0
EVIL = "\x1b[31mRED\x1b[0m\x1b]0;TITLE\x07"  # colour, window title (OSC ... BEL)
NAMES = [EVIL, "a\nb", "c\rd", "plain", "rtl\u202etxt.exe"]  # (U+202E: right-to-left override)
MESSAGE = "exited with code 1: \x1b]0;PWNED\x07boom\x1b[2J\nsecond\rline\n\x9b31m"
INJECTED = ["\x1b[31mRED", "\x1b]0;", "\x07", "\x1b[2J", "\x9b"]  # what must never reach the terminal raw
RAW = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # controls but the newline


def test_term_safe_escapes_controls_visibly_and_leaves_the_rest() -> None:
    assert term_safe(EVIL) == "\\x1b[31mRED\\x1b[0m\\x1b]0;TITLE\\x07"
    assert term_safe("a\nb\rc\td\x7fe\x9bf\x00") == "a\\nb\\rc\\td\\x7fe\\x9bf\\x00"
    plain = "copy:src/日本語 ü é\u0301 \\n back\\slash  two spaces"
    assert term_safe(plain) is plain or term_safe(plain) == plain
    assert term_safe(3) == "3"
    assert term_safe("out/\u202etxt.exe \u2066x\u2069") == "out/\\u202etxt.exe \\u2066x\\u2069"
    assert term_safe("שלום\u200f!") == "שלום\u200f!"  # a right-to-left mark orders nothing: kept
    assert term_lines("one\x1b[2J\r\ntwo\n\nthree\rfour") == ["one\\x1b[2J", "two", "", "three", "four"]


def test_plain_display_lines_stay_one_per_event_without_control_characters() -> None:
    err, out = io.StringIO(), io.StringIO()
    display = PlainDisplay(err, summary_stream=out, verbose=True)
    ids = [f"copy:{n}" for n in NAMES]
    for task_id in ids:
        display(TaskEvent(task_id, "running", T0, 1, 1))
        display(
            TaskEvent(task_id, "failed", T0 + 1, 1, 1, message=MESSAGE, action="cap for \x1bx lowered to 2")
        )
    display.up_to_date([f"old:{n}" for n in NAMES], T0 + 2)
    outcomes = {t: TaskOutcome(t, "failed", T0, T0 + 1, 1, message=MESSAGE, notice=EVIL) for t in ids}
    display.close(BuildResult(1, outcomes, T0, T0 + 2, uncounted={"run\x1b[0m"}))
    text = err.getvalue()
    assert not RAW.search(text), [line for line in text.splitlines() if RAW.search(line)]
    events = [line for line in text.splitlines() if line.startswith("[")]
    assert len(events) == 3 * len(NAMES) + 2 * len(NAMES)  # running, failed, rate limit; pending, up-to-date
    assert "[   1.0s] failed      copy:\\x1b[31mRED\\x1b[0m\\x1b]0;TITLE\\x07  (exited with code 1: " in text
    assert "s] running     copy:a\\nb" in text and "copy:c\\rd" in text  # (timed as the line before)
    assert "\\x1b]0;PWNED\\x07boom\\x1b[2J)" in text


def test_silent_display_keeps_message_lines_but_no_control_characters() -> None:
    err, out = io.StringIO(), io.StringIO()
    display = SilentDisplay(err, summary_stream=out)
    display(TaskEvent(f"copy:{EVIL}", "failed", T0, 1, 1, message=MESSAGE))
    outcomes = {"copy:a\nb": TaskOutcome("copy:a\nb", "failed", T0, T0 + 1, 1, message=MESSAGE)}
    display.close(BuildResult(1, outcomes, T0, T0 + 1))
    text = err.getvalue()
    assert not RAW.search(text)
    assert text.splitlines() == [
        "agentmake: copy:\\x1b[31mRED\\x1b[0m\\x1b]0;TITLE\\x07 failed: exited with code 1: "
        "\\x1b]0;PWNED\\x07boom\\x1b[2J",
        "second",
        "line",
        "\\x9b31m",
        "agentmake: copy:a\\nb failed: exited with code 1: \\x1b]0;PWNED\\x07boom\\x1b[2J",
        "second",
        "line",
        "\\x9b31m",
    ]


def test_summary_lines_carry_no_control_characters() -> None:
    ids = [f"copy:{n}" for n in NAMES]
    outcomes = {t: TaskOutcome(t, "failed", T0, T0 + 1, 2, message=MESSAGE, notice=MESSAGE) for t in ids}
    outcomes.update({f"later:{n}": TaskOutcome(f"later:{n}", "not-run") for n in NAMES})
    lines = summary_lines(BuildResult(1, outcomes, T0, T0 + 1, uncounted={EVIL}))
    assert not [line for line in lines if RAW.search(line)]
    # (every one failed alike: one entry names them all, heldux29)
    failed = next(line for line in lines if line.startswith("✗ "))
    assert "copy:a\\nb" in failed, failed
    assert failed.endswith(" after 2 attempts: exited with code 1: \\x1b]0;PWNED\\x07boom\\x1b[2J"), failed
    assert "    second" in lines and "    line" in lines  # a message's own lines stay lines, indented


def test_live_display_escapes_ids_and_messages_in_lines_and_table() -> None:
    err, out = io.StringIO(), io.StringIO()
    console = Console(file=err, force_terminal=True, width=200, height=40, color_system="standard")
    display = LiveDisplay(console, summary_stream=out, clock=lambda: T0 + 2.0)
    ids = [f"copy:{n}" for n in NAMES]
    for task_id in ids:
        display(TaskEvent(task_id, "pending", T0))
    display(TaskEvent(ids[0], "running", T0 + 0.1, 1, 2))
    display(TaskEvent(ids[1], "running", T0 + 0.1, 1, 2))
    display(TaskEvent(ids[1], "retrying", T0 + 0.5, 1, 2, retry_in=5.0, message=MESSAGE))
    display.tick()  # the table: running, retrying (with its message) and queued rows
    display(TaskEvent(ids[0], "failed", T0 + 1, 1, 2, message=MESSAGE, action="cap for \x1bx lowered to 1"))
    display.tick()
    outcomes = {t: TaskOutcome(t, "failed", T0, T0 + 1, 1, message=MESSAGE) for t in ids}
    display.close(BuildResult(1, outcomes, T0, T0 + 1))
    raw = err.getvalue()
    assert not [s for s in INJECTED if s in raw]
    assert "copy:a\nb" not in raw and "c\rd" not in raw
    assert (
        "copy:\\x1b[31mRED\\x1b[0m\\x1b]0;TITLE\\x07" in raw and "copy:a\\nb" in raw and "copy:c\\rd" in raw
    )


def test_status_text_escapes_and_json_keeps_the_exact_names() -> None:
    rows = [
        {
            "task": f"copy:{n}",
            "kind": "agent",
            "state": "failed",
            "action": "run",
            "reasons": [MESSAGE, "never built"],
            "pid": None,
            "outputs": [f"out/{n}.txt"],
            "last_duration": 1.0,
            "last_cost": None,
            "last_finished": T0,
        }
        for n in NAMES
    ]
    text = render_status_text(rows)
    assert not RAW.search(text)
    lines = text.splitlines()
    assert lines[0].startswith("failed  copy:\\x1b[31mRED\\x1b[0m\\x1b]0;TITLE\\x07  ")
    assert lines[0].endswith("out/\\x1b[31mRED\\x1b[0m\\x1b]0;TITLE\\x07.txt")
    assert lines[1:6] == [
        "    - exited with code 1: \\x1b]0;PWNED\\x07boom\\x1b[2J",
        "      second",
        "      line",
        "      \\x9b31m",
        "    - never built",
    ]
    assert [r["task"] for r in json.loads(render_status_json(rows))] == [f"copy:{n}" for n in NAMES]


class _Graph:
    """Just what `render_graph` reads of a graph."""

    def __init__(self, names: list[str]) -> None:
        from types import SimpleNamespace

        self.tasks = {}
        self.deps: dict[str, list[str]] = {}
        self.producer: dict[str, str] = {}
        for n in names:
            src, dst = f"copy:{n}", f"use:{n}"
            self.tasks[src] = SimpleNamespace(kind="agent", inputs=[f"in/{n}.txt"], outputs=[f"out/{n}.txt"])
            self.tasks[dst] = SimpleNamespace(kind="report", inputs=[f"out/{n}.txt"], outputs=[f"r/{n}.md"])
            self.producer[f"out/{n}.txt"] = src
            self.deps[dst] = [src]


def test_graph_text_is_escaped_and_dot_and_mermaid_stay_valid_and_exact() -> None:
    graph = _Graph(NAMES)
    text = render_graph(graph, "text")  # type: ignore[arg-type]
    assert not RAW.search(text) and len(text.splitlines()) == 2 * len(NAMES)
    assert "use:a\\nb (report) <- copy:a\\nb" in text.splitlines()
    mermaid = render_graph(graph, "mermaid")  # type: ignore[arg-type]
    # a quoted Mermaid string runs to the next quote (newlines and control characters included)
    labels = re.findall(r'\["([^"]*)"\]|\[/"([^"]*)"/\]|\|"([^"]*)"\|', mermaid)
    assert not RAW.search(mermaid)  # markup and control characters as entity codes, which give the names back
    decoded = [re.sub(r"#(\d+);", lambda e: chr(int(e.group(1))), "".join(m)) for m in labels]
    assert sorted(decoded) == sorted(
        [f"copy:{n}" for n in NAMES] + [f"use:{n}" for n in NAMES] + [f"out/{n}.txt" for n in NAMES]
    )
    dot = render_graph(graph, "dot")  # type: ignore[arg-type]
    # no control character raw (it went to the terminal, as `graph --format dot` without a pipe does); the
    # exact names as Graphviz reads them: a newline as DOT's \\n, the others as entities
    assert not RAW.search(dot), [line for line in dot.splitlines() if RAW.search(line)]
    assert '"copy:a\\nb"' in dot and f'"copy:{EVIL}"' in _entities(dot)
    assert '"copy:\\x1b' not in dot and "&#27;[31mRED" in dot
    if shutil.which("dot") is None:
        pytest.skip("Graphviz `dot` is not installed")
    parsed = subprocess.run(["dot", "-Tplain"], input=dot.encode(), capture_output=True, timeout=60)
    assert parsed.returncode == 0, parsed.stderr
    assert len([line for line in parsed.stdout.splitlines() if line.startswith(b"node ")]) == 2 * len(NAMES)


# --- end to end -------------------------------------------------------------------------------------------

AGENTFILE = """retries = 0

agent copy:
    inputs  = in/{n}.txt
    outputs = out/{n}.txt
    run     = "cp {input} {output}"

agent fail:
    inputs  = in/{n}.txt
    outputs = bad/{n}.txt
    run     = "sh fail.sh"
"""
FAIL = 'printf "\\033]0;PWNED\\007boom\\033[2J\\nsecond\\rline\\n" >&2\nexit 1\n'


@pytest.fixture
def evil(tmp_path: Path) -> Path:
    root = tmp_path / "p"
    (root / "in").mkdir(parents=True)
    (root / "Agentfile").write_text(AGENTFILE)
    (root / "fail.sh").write_text(FAIL)
    for name in NAMES:
        (root / "in" / f"{name}.txt").write_text("x\n")
    return root


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", AGENTMAKE_BACKOFF="0", **extra)
    for name in ("NO_COLOR", "FORCE_COLOR", "CI"):
        env.pop(name, None)
    env.update(extra)
    return env


def _am(root: Path, *args: str) -> tuple[int, str]:
    """Run agentmake piped (plain output); (exit code, stdout + stderr as received, byte for byte)."""
    proc = subprocess.run(
        [sys.executable, "-m", "agentmake", *args],
        cwd=root,
        env=_env(CI="1"),
        capture_output=True,
        timeout=120,
    )
    return proc.returncode, (proc.stdout + proc.stderr).decode("utf-8")


def test_cli_output_carries_no_control_characters_from_names_or_agents(evil: Path) -> None:
    code, text = _am(evil, "-k")
    assert code == 1 and "5 ran" in text and "5 failed" in text
    assert not RAW.search(text), [line for line in text.splitlines() if RAW.search(line)]
    assert "copy:\\x1b[31mRED\\x1b[0m\\x1b]0;TITLE\\x07" in text and "\\x1b]0;PWNED\\x07boom" in text
    for args in (["status"], ["explain", "fail"], ["graph"], ["list", "-v"], ["clean", "-n"], ["-B", "-n"]):
        code, text = _am(evil, *args)
        assert code == 0, text
        assert not RAW.search(text), (args, [line for line in text.splitlines() if RAW.search(line)])
        assert "a\\nb" in text, (args, text)
    _code, text = _am(evil, "graph")
    assert len(text.splitlines()) == 2 * len(NAMES)  # one line per task: no name starts a line of its own
    _code, text = _am(evil, "-s", "-k", "-B")
    assert not RAW.search(text) and "\\x1b]0;PWNED" in text
    # -v streams what agents print as they print it: escaped too, line by line
    _code, text = _am(evil, "-v", "-k", "-B")
    assert not RAW.search(text), [line for line in text.splitlines() if RAW.search(line)]
    assert "!] \\x1b]0;PWNED\\x07boom\\x1b[2J" in text


def test_status_json_and_graph_formats_keep_the_exact_names(evil: Path) -> None:
    _am(evil, "-k")
    code, text = _am(evil, "status", "--json")
    assert code == 0
    assert sorted(r["task"] for r in json.loads(text)) == sorted(
        f"{a}:{n}" for a in ("copy", "fail") for n in NAMES
    )
    code, dot = _am(evil, "graph", "--format", "dot")
    assert code == 0 and f'"copy:{EVIL}"' in _entities(dot) and not RAW.search(dot)


def _entities(dot: str) -> str:
    """`dot` with the HTML entities Graphviz reads in its strings (`&#27;`) as the characters they are."""
    return re.sub(r"&#(\d+);", lambda e: chr(int(e.group(1))), dot)


def test_live_display_on_a_terminal_shows_no_injected_sequences(evil: Path) -> None:
    master, slave = pty.openpty()
    received: list[bytes] = []

    def read() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                return
            if not chunk:
                return
            received.append(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "agentmake", "-k"], cwd=evil, env=_env(TERM="xterm", COLUMNS="150"),
            stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, timeout=120,
        )  # fmt: skip
    finally:
        os.close(slave)
        reader.join(timeout=10)
        os.close(master)
    raw = b"".join(received).decode("utf-8", "replace")
    assert proc.returncode == 1
    assert "\x1b[" in raw  # the live display's own control sequences
    assert not [s for s in INJECTED if s in raw], raw
    assert "copy:a\r\nb" not in raw and "copy:a\nb" not in raw  # (the terminal turns \n into \r\n)
    assert "copy:\\x1b[31mRED" in raw and "copy:a\\nb" in raw and "\\x1b]0;PWNED" in raw


RAW_IN_FILE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # controls but LF, tab


def test_status_md_and_the_report_escape_what_agents_print(tmp_path: Path) -> None:
    """`status.md` and a report are files, but people `cat` them: an agent's message copied into them
    (the error log, the failures' section) has its control sequences escaped; tabs and line breaks stay."""
    (tmp_path / "x.txt").write_text("x\n")
    # fails on its first try (with a hostile message), succeeds on the second: the report's error log keeps it
    (tmp_path / "flaky.sh").write_text(
        "if [ ! -e tried ]; then : > tried\n"
        '  printf "\\033]0;PWNED\\007boom\\033[2J\\tTAB\\n" >&2; exit 1\nfi\n'
        'cp x.txt "$1"\n'
    )
    (tmp_path / "Agentfile").write_text(
        "agent flaky:\n    inputs = x.txt\n    outputs = out/f.txt\n    retries = 1\n"
        '    run = "sh flaky.sh {output}"\n\n'
        'agent bad:\n    inputs = x.txt\n    outputs = out/b.txt\n    retries = 0\n    run = "sh fail.sh"\n\n'
        "report r:\n    inputs = out/f.txt\n    output = R.md\n"
    )
    (tmp_path / "fail.sh").write_text(FAIL)
    code, text = _am(tmp_path, "report")
    assert code == 0, text
    code, text = _am(tmp_path, "bad")
    assert code == 1, text
    report = (tmp_path / "R.md").read_text()
    status = (tmp_path / ".agentmake" / "status.md").read_text()
    for text in (report, status):
        assert not RAW_IN_FILE.search(text), [line for line in text.splitlines() if RAW_IN_FILE.search(line)]
    assert "\\\\x1b]0;PWNED\\\\x07boom\\\\x1b[2J\tTAB" in report  # (backslashes doubled in a table cell)
    assert "```text\nexited with code 1: \\x1b]0;PWNED\\x07boom\\x1b[2J\n```" in status  # (failures, as text)
