"""The three example projects, end to end through the `agentmake` CLI, offline profile.

Each example is copied to tmp_path and built with `agentmake report`: the first run builds everything, the
second runs nothing, editing one input reruns exactly the tasks downstream of it (checked by the summary line
and by which outputs changed), and the report holds what the agents found. The LLM profiles are checked too:
they load, every prompt renders, and the translate example runs end to end against the fake agent CLIs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from agentmake.graph import build_graph
from agentmake.plan.context import render_task_prompt
from agentmake.syntax.load import load_agentfile

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
AGENTMAKE = [sys.executable, "-m", "agentmake"]
SUMMARY = re.compile(r"agentmake: (\d+) ran, (\d+) cached, (\d+) up to date, (\d+) failed")

pytestmark = pytest.mark.slow


def copy_example(name: str, tmp_path: Path) -> Path:
    dest = tmp_path / name
    shutil.copytree(
        EXAMPLES / name, dest, ignore=shutil.ignore_patterns("build", ".agentmake", "__pycache__")
    )
    return dest


def agentmake(project: Path, *args: str, env: dict[str, str] | None = None) -> tuple[dict[str, int], str]:
    """Run the CLI in `project`: (summary line counts, all output); a non-zero exit fails the test."""
    proc = subprocess.run(
        [*AGENTMAKE, *args], cwd=project, capture_output=True, text=True, timeout=120,
        env=env or dict(os.environ, NO_COLOR="1"),
    )  # fmt: skip
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    match = SUMMARY.search(out)
    assert match, out
    ran, cached, up_to_date, failed = map(int, match.groups())
    return {"ran": ran, "cached": cached, "up_to_date": up_to_date, "failed": failed}, out


def digests(project: Path, *patterns: str) -> dict[str, str]:
    """Content hash and mtime of every file matching `patterns` (to see what a run rewrote)."""
    found = {}
    for pattern in patterns:
        for path in sorted(p for p in project.glob(pattern) if p.is_file()):
            data = path.read_bytes()
            found[path.relative_to(project).as_posix()] = (
                f"{hashlib.sha256(data).hexdigest()}@{path.stat().st_mtime_ns}"
            )
    return found


def changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {p for p in after if before.get(p) != after[p]}


def build_twice(project: Path, expected_tasks: int) -> None:
    first, _ = agentmake(project, "report")
    assert first == {"ran": expected_tasks, "cached": 0, "up_to_date": 0, "failed": 0}
    second, _ = agentmake(project, "report")
    assert second["ran"] == 0 and second["failed"] == 0
    assert second["up_to_date"] == expected_tasks


def test_code_review_offline(tmp_path: Path) -> None:
    project = copy_example("code-review", tmp_path)
    build_twice(project, expected_tasks=5)  # scan, quality, security, perf, review
    review = (project / "REVIEW.md").read_text()
    assert "eval-injection" in review and "`src/inventory/orders.py:12`" in review
    assert "hardcoded-secret" in review and "API_SECRET_KEY" in review
    assert "bare-except" in review and "nested-loop" in review
    security = json.loads((project / "build/findings/security.json").read_text())
    assert {"file", "line", "severity", "rule", "message"} <= set(security[0])
    assert any(f["rule"] == "eval-injection" and f["severity"] == "high" for f in security)

    # Fix the eval: every reviewer reads the sources, so all of them rerun, and the finding disappears.
    orders = project / "src/inventory/orders.py"
    orders.write_text(orders.read_text().replace("int(eval(text))", "int(text)"))
    counts, _ = agentmake(project, "report")
    assert counts["ran"] == 5 and counts["failed"] == 0
    assert "eval-injection" not in (project / "REVIEW.md").read_text()
    assert "hardcoded-secret" in (project / "REVIEW.md").read_text()

    # Edit only the perf tool, without changing what it finds: perf reruns, its outputs are byte-identical,
    # so nothing downstream reruns (early cutoff).
    before = digests(project, "build/**/*", "REVIEW.md")
    perf = project / "tools/perf.py"
    perf.write_text(perf.read_text() + "\n# a comment that changes nothing\n")
    counts, out = agentmake(project, "report")
    assert counts["ran"] == 1, out
    after = digests(project, "build/**/*", "REVIEW.md")
    assert {p.split("@")[0] for p in before.values()} == {p.split("@")[0] for p in after.values()}
    assert "REVIEW.md" not in changed(before, after)


def test_translate_offline(tmp_path: Path) -> None:
    project = copy_example("translate", tmp_path)
    docs = sorted(p.stem for p in (project / "docs").glob("*.md"))
    build_twice(project, expected_tasks=2 * len(docs) + 2)  # translate + check per doc, summary, report
    report = (project / "TRANSLATION.es.md").read_text()
    assert f"{len(docs)} of {len(docs)} documents passed" in report
    assert "Inicio rápido" in report  # "Quick start", translated by the glossary
    assert "python3 -m pip install tidepool" in report  # code blocks are copied unchanged
    verdict = json.loads((project / "build/es/checks/install.json").read_text())
    assert verdict["pass"] is True and verdict["code_blocks"] == {
        "source": 3,
        "translation": 3,
        "preserved": True,
    }

    # Edit one page: its translate and check tasks, the summary and the report rerun; the other pages do not.
    before = digests(project, "build/**/*.*", "TRANSLATION.es.md")
    faq = project / "docs/faq.md"
    faq.write_text(
        faq.read_text() + "\n## Can I pause a sync?\n\nYes. Press Ctrl-C and run `tidepool sync` again.\n"
    )
    counts, _ = agentmake(project, "report")
    assert counts == {"ran": 4, "cached": 0, "up_to_date": 2 * len(docs) - 2, "failed": 0}
    after = digests(project, "build/**/*.*", "TRANSLATION.es.md")
    assert changed(before, after) == {
        "build/es/translated/faq.md", "build/es/checks/faq.json", "build/es/summary.md", "TRANSLATION.es.md",
    }  # fmt: skip
    assert "pausa" not in (project / "build/es/translated/faq.md").read_text()  # not in the glossary: kept
    assert "Ctrl-C" in (project / "TRANSLATION.es.md").read_text()

    # Another language builds beside the first (build/fr/, TRANSLATION.fr.md) and replaces none of it.
    def spanish() -> dict[str, str]:
        return {
            k: v.split("@")[0] for k, v in digests(project, "build/es/**/*.*", "TRANSLATION.es.md").items()
        }

    before = spanish()
    counts, out = agentmake(project, "report", "lang=fr")
    assert counts["ran"] == 2 * len(docs) + 2 and counts["failed"] == 0, out
    assert "Démarrage rapide" in (project / "TRANSLATION.fr.md").read_text()
    assert spanish() == before
    built = digests(project, "build/es/**/*.*")
    counts, out = agentmake(project, "report")  # back to Spanish: nothing translated again, nothing saved
    assert counts["ran"] <= 1 and counts["failed"] == 0 and "saved" not in out, out
    assert {k: v for k, v in spanish().items() if k.startswith("build/")} == {
        k: v for k, v in before.items() if k.startswith("build/")
    }
    # ... and nothing restored either: the Spanish outputs are still in place, so every task is up to date
    # (not "cached") and no file is rewritten (their modification times stay)
    assert counts["cached"] == 0 and counts["up_to_date"] == 2 * len(docs) + 1, out
    assert digests(project, "build/es/**/*.*") == built
    report = (project / "TRANSLATION.es.md").read_text()  # its run summary agrees: nothing restored
    # (kept in place by this run, made by an earlier one: not "(run N)" of the run this summary is of)
    assert "| translate:faq | up to date (made before run " in report and "| cached |" not in report, report
    counts, out = agentmake(project, "report")  # and the record follows: the next build has nothing to say
    assert counts == {"ran": 0, "cached": 0, "up_to_date": 2 * len(docs) + 2, "failed": 0}, out


def test_api_test_offline(tmp_path: Path) -> None:
    project = copy_example("api-test", tmp_path)
    endpoints = sorted(p.stem for p in (project / "endpoints").glob("*.json"))
    build_twice(project, expected_tasks=len(endpoints) + 2)  # one test per endpoint, summary, report
    report = (project / "API_REPORT.md").read_text()
    assert f"{len(endpoints)} of {len(endpoints)} passed" in report
    assert "| stats | `GET /stats` | 200 |" in report
    result = json.loads((project / "build/results/create-todo.json").read_text())
    assert result["pass"] is True and result["status"] == 201 and result["latency_ms"] >= 0

    # Break one expectation: only that test, the summary and the report rerun; the report shows the failure
    # (a failing API test is data, not a build error).
    before = digests(project, "build/results/*.json")
    spec_path = project / "endpoints/stats.json"
    spec = json.loads(spec_path.read_text())
    spec["expect"]["json"]["total"] = 4
    spec_path.write_text(json.dumps(spec, indent=2))
    counts, _ = agentmake(project, "report")
    assert counts == {"ran": 3, "cached": 0, "up_to_date": len(endpoints) - 1, "failed": 0}
    assert changed(before, digests(project, "build/results/*.json")) == {"build/results/stats.json"}
    report = (project / "API_REPORT.md").read_text()
    assert f"{len(endpoints) - 1} of {len(endpoints)} passed" in report
    assert "body.total: expected 4, got 3" in report


@pytest.mark.parametrize("name", ["code-review", "translate", "api-test"])
def test_example_checks_without_a_warning(name: str, tmp_path: Path) -> None:
    """`agentmake check` accepts each example and warns of nothing: an example a new user copies must not
    teach a pitfall (an agent named like a command, a lost indentation, ...)."""
    project = copy_example(name, tmp_path)
    proc = subprocess.run(
        [*AGENTMAKE, "check"], cwd=project, capture_output=True, text=True, timeout=120,
        env=dict(os.environ, NO_COLOR="1"),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok" in proc.stdout
    assert "warning" not in proc.stdout + proc.stderr


@pytest.mark.parametrize("name", ["code-review", "translate", "api-test"])
def test_llm_profile_prompts_render(name: str, tmp_path: Path) -> None:
    """The LLM profile loads, and every prompt renders (strict undefined names) once its inputs exist."""
    project = copy_example(name, tmp_path)
    agentfile = load_agentfile(project / "Agentfile", {"profile": "llm"})
    graph = build_graph(agentfile)
    for task in graph.tasks.values():  # stand-ins for the outputs so every input can be read
        for out in task.outputs:
            (project / out).parent.mkdir(parents=True, exist_ok=True)
            (project / out).write_text(f"placeholder for {out}\n")
    rendered = {tid: render_task_prompt(t, agentfile.variables, project) for tid, t in graph.tasks.items()}
    prompts = {tid: text for tid, text in rendered.items() if text is not None}
    assert prompts, "the LLM profile has no prompt"
    for tid, text in prompts.items():
        task = graph.tasks[tid]
        for path in task.inputs:  # every input's content reaches the model
            if not path.startswith("tools/"):
                first_line = (project / path).read_text().splitlines()[0]
                assert first_line in text, f"{tid}: {path} missing from the prompt"
    offline = build_graph(load_agentfile(project / "Agentfile"))
    assert set(offline.tasks) == set(graph.tasks)  # the same graph, whoever does the work


def test_translate_llm_profile_with_fake_agents(tmp_path: Path, fake_agents) -> None:
    """The LLM profile end to end against the fake claude/codex: prompts on stdin, answers become outputs."""
    project = copy_example("translate", tmp_path)
    docs = sorted(p.stem for p in (project / "docs").glob("*.md"))
    env = fake_agents.env(dict(os.environ, NO_COLOR="1"))
    counts, out = agentmake(project, "report", "profile=llm", env=env)
    assert counts["ran"] == 2 * len(docs) + 2 and counts["failed"] == 0, out
    translated = (project / "build/es/translated/faq.md").read_text()
    assert "into Spanish" in translated  # the fake echoes its prompt: the `language` variable was rendered
    assert "Does Tidepool delete files?" in translated  # ...and `read(input)` put the page in it
    assert (project / "TRANSLATION.es.md").exists()


def test_readme_quotes_the_first_commands_output(tmp_path: Path) -> None:
    """README.md quotes what `agentmake report` prints on stdout in examples/code-review, and what REVIEW.md
    holds: both stay true (times and the absolute path aside)."""
    readme = (EXAMPLES.parent / "README.md").read_text()
    quoted = (
        readme.split("What the first command prints on stdout", 1)[1].split("```")[1].strip().splitlines()
    )
    # the first command as written, from the root of a copy of the repository; it leaves the shell at the
    # root (no `cd`), where the second one (`pip install '.[test]'`) must run
    block = readme.split("```sh", 1)[1].split("```", 1)[0]
    first, second = [line for line in block.splitlines() if line and not line.startswith("#")]
    tests = second.split("&& ")[-1]
    assert "cd " not in first and tests.startswith("pytest"), (first, second)
    # (and CI runs exactly that test command)
    assert (EXAMPLES.parent / ".ci/run").read_text().rstrip().endswith(f"&& {tests}")
    step = shlex.split(first.split("&&")[-1])
    assert step[0] == "agentmake", step
    project = copy_example("code-review", tmp_path / "examples")
    proc = subprocess.run(
        [*AGENTMAKE, *step[1:]], cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env=dict(os.environ, NO_COLOR="1"),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    said = proc.stdout.splitlines()
    assert len(said) == len(quoted) == 2, proc.stdout
    assert re.sub(r"in [\d.]+s$", "", said[0]) == re.sub(r"in [\d.]+s$", "", quoted[0])
    assert quoted[1].startswith("report review: …/examples/code-review/REVIEW.md")
    assert said[1] == f"report review: {project / 'REVIEW.md'}"
    review = (project / "REVIEW.md").read_text()
    row = re.search(r"`(high \| src/inventory/orders\.py:12 \|\s+eval-injection \| eval\(\) runs)", readme)
    assert row is not None
    cells = [c.strip() for c in row.group(1).replace("\n", " ").split("|")]
    assert re.search(r"\| high \| `src/inventory/orders\.py:12` \| eval-injection \| `eval\(\)` runs", review)
    assert cells[:3] == ["high", "src/inventory/orders.py:12", "eval-injection"]
    for part in ("## Run summary", "| task | state | time | attempts | cost | tokens |", "agent time",
                 "wall time", "Critical path", "### Error log", "gantt", "graph TD"):  # fmt: skip
        assert part in review, part
    again = subprocess.run([*AGENTMAKE, *step[1:]], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert "0 ran, 0 cached, 5 up to date" in again.stdout  # "Run it again and nothing runs"
