"""`check = json` on a JSON Lines output (`.jsonl`, `.ndjson`): every line is a JSON value. Read as one JSON
document, any such file of two records or more failed ("Extra data"), so every answer was paid for, failed
and retried until the task failed."""

from __future__ import annotations

import threading

import pytest
from conftest import RunnerProject

from agentmake.model import Check
from agentmake.runners.check import run_check


def json_check(project: RunnerProject, name: str, text: str) -> str | None:
    task = project.agent("j", outputs=(name,), check=Check("json"))
    out = project.root / name
    out.write_text(text, encoding="utf-8")
    return run_check(
        Check("json"), task, {name: out}, root=project.root, log_stem=project.root / "c",
        timeout=None, cancel=threading.Event(),
    )  # fmt: skip


@pytest.mark.parametrize("name", ["rows.jsonl", "rows.ndjson", "ROWS.JSONL"])
@pytest.mark.parametrize(
    "text",
    ['{"a": 1}\n{"a": 2}\n', '{"a": 1}\n[2]\n"x"', '{"a": 1}\n\n{"a": 2}\n', '{"a": "\u2028"}\r\n{}\r\n'],
)
def test_json_lines_pass(project: RunnerProject, name: str, text: str) -> None:
    assert json_check(project, name, text) is None


@pytest.mark.parametrize(
    ("text", "line"), [('{"a": 1}\n{"a": \n', 2), ('{"a": 1}\n{"a": NaN}\n', 2), ('not json\n{"a": 1}\n', 1)]
)
def test_a_bad_line_fails_naming_it(project: RunnerProject, text: str, line: int) -> None:
    problem = json_check(project, "rows.jsonl", text)
    assert problem is not None and f"rows.jsonl line {line} is not valid JSON" in problem, problem


def test_a_json_lines_file_of_no_record_passes(project: RunnerProject) -> None:
    # (zero records is a valid JSON Lines file: a filter that matched nothing; a `.json` file must hold one)
    assert json_check(project, "rows.jsonl", "") is None
    assert json_check(project, "o.json", "") is not None


def test_a_json_output_is_still_one_document(project: RunnerProject) -> None:
    problem = json_check(project, "o.json", '{"a": 1}\n{"a": 2}\n')
    assert problem is not None and "o.json is not valid JSON" in problem, problem


@pytest.mark.parametrize(("name", "said"), [("o.json", "o.json is"), ("rows.jsonl", "rows.jsonl line 2 is")])
def test_json_nested_beyond_the_recursion_limit_fails_its_check_with_a_reason(
    project: RunnerProject, name: str, said: str
) -> None:
    # (a RecursionError escaped the check: the attempt ended in an internal error, with a traceback's words)
    problem = json_check(project, name, '{"a": 1}\n' * (name != "o.json") + "[" * 100_000 + "]" * 100_000)
    assert problem == f"check failed: {said} JSON nested too deeply to read", problem
