"""The build stamp looks for the ``.env`` file gemini loads only when its build ran a gemini task
(`plan.stamp.Signature`): finding that file stats two names in every directory from the project root up,
which every no-op paid for (~0.3 ms), a project without a gemini agent too. A stamp of a build without one
holds the signature without the file and says so (``"bare": 1``); a stamp of a build with one, or written
before, holds it with the file (the signature as before: it still answers). Real builds; the walk is
seen by making `dotenv.env_file` fail in the agentmake that answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FakeAgents
from test_keyhunt3_endpoints import EnvE2E, _agentfile


class PatchedE2E(EnvE2E):
    """This agentmake with `patch` (Python source) run first."""

    patch = ""

    def argv(self, args: tuple[str, ...]) -> list[str]:
        code = (
            f"{self.patch}\nimport runpy; runpy.run_module('agentmake', run_name='__main__', alter_sys=True)"
        )
        return [*super().argv(())[:1], "-c", code, *args]


# finding the .env gemini loads fails: a build that looks for it ends in an error
NO_WALK = (
    "import agentmake.runners.dotenv as d\n"
    "def walk(*a, **k):\n    raise SystemExit('looked for the .env')\n"
    "d.env_file = walk"
)
# the stamp as the agentmake before wrote it: always the signature with the .env, no "bare"
BEFORE = "import agentmake.plan.stampwrite as w; w._runs_gemini = lambda *a: True"


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch) -> PatchedE2E:
    for name in ("GEMINI_MODEL", "GOOGLE_GENAI_USE_VERTEXAI"):
        monkeypatch.delenv(name, raising=False)
    project = PatchedE2E(tmp_path / "a" / "b" / "proj", fake_agents)
    project.extra = {}
    project.write("src.txt", "hello\n")
    return project


def _shell(e2e: EnvE2E) -> None:
    e2e.write(
        "Agentfile",
        'agent copy:\n    run = "cp {input} {output}"\n    inputs = src.txt\n    outputs = out.txt\n',
    )


def _header(e2e: EnvE2E) -> dict[str, object]:
    return dict(json.loads((e2e.root / ".agentmake" / "stamp").read_bytes().split(b"\n")[1]))


def test_a_project_without_gemini_agents_never_looks_for_the_dotenv_on_a_noop(e2e: PatchedE2E) -> None:
    _shell(e2e)
    assert e2e.am().summary.ran == 1
    assert _header(e2e).get("bare") == 1
    e2e.patch = NO_WALK
    run = e2e.am("-v")
    assert run.code == 0 and "up to date without loading the Agentfile" in run.err, run
    (e2e.root.parent / ".env").write_text("GEMINI_MODEL=gemini-other\n")  # (no gemini task: no change)
    e2e.patch = ""
    run = e2e.am("-v")
    assert "up to date without loading the Agentfile" in run.err, run


def test_a_gemini_projects_stamp_still_sees_the_dotenv(e2e: PatchedE2E) -> None:
    _agentfile(e2e, "gemini")
    assert e2e.am().summary.ran == 1
    assert "bare" not in _header(e2e)
    e2e.patch = NO_WALK
    assert e2e.am().code != 0  # (it looks for the file)
    e2e.patch = ""
    assert "without loading" in e2e.am("-v").err
    (e2e.root.parent / ".env").write_text("GEMINI_MODEL=gemini-dotenv\n")  # (a directory above: found too)
    run = e2e.am("-v")
    assert "without loading" not in run.err and run.summary.ran == 1, run


def test_a_stamp_written_before_still_answers(e2e: PatchedE2E) -> None:
    _shell(e2e)
    e2e.patch = BEFORE
    assert e2e.am().summary.ran == 1
    assert "bare" not in _header(e2e)
    e2e.patch = ""
    run = e2e.am("-v")
    assert "up to date without loading the Agentfile" in run.err, run
