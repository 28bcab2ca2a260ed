"""The example projects used as real projects: odd inputs a user adds (a file that does not parse, an empty
page, a test whose server never answers) give a report that says what happened, not a failed build."""

from __future__ import annotations

from pathlib import Path

from test_examples import agentmake, copy_example


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
