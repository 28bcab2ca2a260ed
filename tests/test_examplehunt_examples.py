"""The example projects used as real projects: odd inputs a user adds (a file that does not parse, an empty
page, a test whose server never answers) give a report that says what happened, not a failed build."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from test_examples import AGENTMAKE, agentmake, copy_example

from agentmake.project import STARTER_AGENTFILE


def test_code_review_reports_a_file_that_does_not_parse(tmp_path: Path) -> None:
    project = copy_example("code-review", tmp_path)
    src = project / "src" / "inventory"
    (src / "broken.py").write_text('"""A module."""\n\n\ndef broken(:\n    pass\n')
    (src / "latin.py").write_bytes(b'"""A module."""\nNAME = "caf\xe9"\n')  # Latin-1, no coding line
    (src / "declared.py").write_bytes(b'# -*- coding: latin-1 -*-\n"""A module."""\nNAME = "caf\xe9"\n')
    counts, out = agentmake(project, "report")  # (fails the test unless the build succeeds)
    assert counts["failed"] == 0, out
    review = (project / "REVIEW.md").read_text()
    rows = [line for line in review.splitlines() if "syntax-error" in line]
    assert any("`src/inventory/broken.py:4`" in row and row.startswith("| high") for row in rows), review
    assert any("`src/inventory/latin.py:" in row for row in rows), review
    assert not any("declared.py" in row for row in rows), review  # its declared encoding is honoured
    # the other reviewers say they skipped it, and still review the rest
    assert review.count("`src/inventory/broken.py:4` | not-analysed") == 2, review
    assert "eval-injection" in review
    assert "| `src/inventory/broken.py` | 5 | - | - | does not parse (line 4) |" in review


def test_translate_passes_an_empty_page_and_fails_an_empty_translation(tmp_path: Path) -> None:
    project = copy_example("translate", tmp_path)
    (project / "docs" / "empty.md").write_text("")
    (project / "docs" / "code-only.md").write_text("```sh\ntidepool sync\n```\n")
    agentmake(project, "report")
    checks = project / "build" / "es" / "checks"
    for name in ("empty", "code-only"):
        verdict = json.loads((checks / f"{name}.json").read_text())
        assert verdict["pass"], verdict
    summary = (project / "build" / "es" / "summary.md").read_text()
    assert "8 of 8 documents passed." in summary, summary
    # what the check is for still fails: a page with words translated to nothing
    (project / "build" / "es" / "translated" / "faq.md").write_text("")
    source, translation = project / "docs" / "faq.md", project / "build" / "es" / "translated" / "faq.md"
    proc = subprocess.run(
        [sys.executable, "tools/check.py", str(source), str(translation), str(tmp_path / "faq.json")],
        cwd=project, capture_output=True, text=True, check=True,
    )  # fmt: skip
    verdict = json.loads((tmp_path / "faq.json").read_text())
    assert not verdict["pass"], (verdict, proc.stderr)
    assert "length ratio 0.00 is outside 0.5–2.0" in verdict["problems"], verdict


def test_api_test_names_the_request_of_a_test_the_server_never_answered(tmp_path: Path) -> None:
    project = copy_example("api-test", tmp_path)
    server = project / "api" / "server.py"
    text = server.read_text()
    assert 'done = sum(1 for t in todos if t["done"])' in text
    server.write_text(text.replace('done = sum(1 for t in todos if t["done"])', "done = 1 // 0"))  # a crash
    agentmake(project, "report")
    result = json.loads((project / "build" / "results" / "stats.json").read_text())
    assert not result["pass"] and result["status"] is None, result
    report = (project / "API_REPORT.md").read_text()
    row = next(line for line in report.splitlines() if line.startswith("| stats |"))
    assert row == "| stats | `GET /stats` | no answer (expected 200) | - | FAIL |", report


def test_every_runner_the_init_starter_offers_builds_it(tmp_path: Path, fake_agents) -> None:
    """The starter names its runner choices in a comment: each one, put in its place (with the `model` the
    comment says it needs), gives a project that checks clean and builds."""
    line = next(ln for ln in STARTER_AGENTFILE.splitlines() if ln.startswith("runner = claude"))
    comment = line.split("#", 1)[1]
    offered = re.findall(r"\b(claude|codex|gemini|llm|ollama|shell)\b", comment.split("(")[0])
    needs_model = set(re.findall(r"\b(gemini|ollama)\b", comment.split("(")[1])) if "(" in comment else set()
    assert "claude" in offered
    for runner in offered:
        project = tmp_path / runner
        project.mkdir()
        subprocess.run([*AGENTMAKE, "init"], cwd=project, check=True, capture_output=True)
        agentfile = project / "Agentfile"
        text = agentfile.read_text().replace("runner = claude ", f"runner = {runner} ", 1)
        if runner in needs_model:
            text = text.replace("\nagent summarize:\n", "\nagent summarize:\n    model = some-model\n", 1)
        agentfile.write_text(text)
        proc = subprocess.run([*AGENTMAKE, "check"], cwd=project, capture_output=True, text=True)
        assert proc.returncode == 0 and "warning" not in proc.stderr, (runner, proc.stdout + proc.stderr)
        counts, out = agentmake(project)
        assert counts["ran"] == 3 and counts["failed"] == 0, (runner, out)
        assert (project / "build" / "summaries" / "example.md").read_text().strip(), runner


def test_translate_a_new_language_with_an_empty_glossary_builds(tmp_path: Path) -> None:
    """A language whose glossary holds no terms yet leaves the pages as they are (the check says they are
    untranslated) instead of failing every task with a KeyError."""
    project = copy_example("translate", tmp_path)
    (project / "glossary" / "de.tsv").write_text("# German glossary: English<TAB>German\n")
    counts, out = agentmake(project, "report", "lang=de")
    assert counts["failed"] == 0, out
    faq = project / "docs" / "faq.md"
    assert (project / "build" / "de" / "translated" / "faq.md").read_text() == faq.read_text()
    verdict = json.loads((project / "build" / "de" / "checks" / "faq.json").read_text())
    assert verdict["problems"] == ["the translation is identical to the source"], verdict
