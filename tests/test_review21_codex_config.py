"""review21 over codexcfg28 (codex's configuration read as ``codex exec`` merges it, the build stamp over
every file that may be a layer: `configstamp`, `configfiles.codex_files`): a file codex itself refuses is no
traceback of agentmake's."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E
from test_auth28_codex_provider import _write

from agentmake.runners import configfiles
from agentmake.runners.configstamp import stamp_digests

pytestmark = pytest.mark.skipif(sys.version_info < (3, 11), reason="3.10 reads no TOML tables")


@pytest.fixture(autouse=True)
def _no_system_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(configfiles, "CODEX_SYSTEM", tmp_path / "no-system.toml")


def test_root_markers_that_are_no_strings_are_stamped_without_an_error(tmp_path: Path) -> None:
    """A TOML date among `project_root_markers` (codex refuses such a file: 'must be an array of strings')
    made the stamp's json.dumps raise (TypeError: date is not JSON serializable); a change of it still
    changes the stamp."""
    root = tmp_path / "proj"
    env = {"HOME": str(tmp_path / "home"), "CODEX_HOME": str(tmp_path / "codex-home")}
    project = _write(root / ".codex" / "config.toml", "project_root_markers = [1979-05-27]\n")
    dated = stamp_digests(env, root)
    assert dated != stamp_digests(env, tmp_path / "elsewhere")
    _write(project, "project_root_markers = [1979-05-28]\n")
    assert stamp_digests(env, root) != dated
    _write(project, 'project_root_markers = [".hg"]\n')
    assert stamp_digests(env, root) != dated


def test_a_build_under_such_a_project_file_prints_no_traceback(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    """Any build, a codex runner or none: the stamp reads every `.codex/config.toml` from the root up (one a
    cloned repository brings)."""
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", 'agent a:\n    outputs = o.md\n    run = "echo hi > {output}"\n', dedent=False)
    e2e.write(".codex/config.toml", "project_root_markers = [1979-05-27T07:32:00Z]\n", dedent=False)
    run = e2e.am()
    assert run.code == 0 and "Traceback" not in run.err, run
    assert e2e.am().code == 0


def test_a_profile_given_as_one_word_is_read(tmp_path: Path) -> None:
    """`-pwork` (and `-p=work`) is codex's `-p work` (clap takes a short option's value attached): its file
    was not read for the key (nor lent to the job: test_auth28_codex_provider's
    test_codex_is_lent_the_profile_file_its_command_chooses), so the key held config.toml's model."""
    from test_codex28_merged_config import _model, _project

    root, env = _project(tmp_path / "unit", trust=None)
    _write(tmp_path / "unit" / "codex-home" / "work.config.toml", 'model = "gpt-5"\n')
    work = _model(env, root, "-p", "work")
    assert work is not None and work[0] == "gpt-5"
    assert _model(env, root, "-pwork") == work
    assert _model(env, root, "-p=work") == work
    assert _model(env, root, "-p../work")[0] == "o3"  # (no file name: no profile)
