"""An agent CLI given no model asks the one its config file names (`runners.modelconfig`: claude's
settings.json `model`, codex's config.toml `model` or its profile's, gemini's settings.json `model.name`,
llm's default_model.txt), unless the environment names one (ANTHROPIC_MODEL, ...). A task's key held only
the environment's: a user who changed the default model in the file kept the old model's results, said up to
date. Its key now holds the file's model where it holds the environment's, so changing it reruns (explain
says which file), an unchanged file reruns nothing, and with the model named in the Agentfile or the
environment the file is not read. A project built before (`OldE2E`: this agentmake without the config
files) runs nothing on its first build after, and a later change of the file's model reruns it. Real builds
with the fake CLIs, HOME a temporary directory."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import sys
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.model import RunnerSpec
from agentmake.runners.configstamp import stamp_digests
from agentmake.runners.modelconfig import config_model, config_path
from agentmake.runners.presets import PRESETS

CLIS = ("claude", "codex", "gemini", "llm")
SHOWN = {
    "claude": "~/.claude/settings.json",
    "codex": "~/.codex/config.toml",
    "gemini": "~/.gemini/settings.json",
    "llm": "~/.config/io.datasette.llm/default_model.txt",
}


def _config_text(cli: str, model: str) -> str:
    if cli == "codex":
        return f'# codex\nmodel = "{model}"\n\n[mcp_servers.x]\nmodel = "not this"\n'
    if cli == "gemini":
        return json.dumps({"general": {"vimMode": True}, "model": {"name": model}})
    if cli == "llm":
        return f"{model}\n"
    return json.dumps({"model": model, "permissions": {"allow": []}})


def _set_config(home: Path, cli: str, model: str | None) -> None:
    path = config_path(cli, {"HOME": str(home)})
    assert path is not None
    if model is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_config_text(cli, model), encoding="utf-8")


def _agentfile(e2e: E2E, cli: str, model: str = "") -> None:
    e2e.write(
        "Agentfile",
        f"""\
        agent sum:
            runner = {cli}
            {model}
            inputs = src.txt
            outputs = sum.md
            prompt = "FAKE: label=sum\\nSum up {{{{ read(input) }}}}"
        """,
    )


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch) -> E2E:
    for name in ("LLM_MODEL", "ANTHROPIC_MODEL", "GEMINI_MODEL", "LLM_USER_PATH", "CLAUDE_CONFIG_DIR"):
        monkeypatch.delenv(name, raising=False)
    project = E2E(tmp_path / "proj", fake_agents)
    project.write("src.txt", "hello\n")
    return project


@pytest.mark.skipif(sys.platform == "darwin", reason="llm's user directory is elsewhere on macOS")
@pytest.mark.parametrize("cli", CLIS)
def test_changing_the_config_files_model_reruns(e2e: E2E, cli: str) -> None:
    _agentfile(e2e, cli)
    _set_config(e2e.fake.home, cli, "opus")
    assert e2e.am().code == 0
    assert e2e.am().summary.up_to_date == 1  # (unchanged: no call; the second may be the build stamp's)
    run = e2e.am()
    assert run.summary.up_to_date == 1, run
    assert e2e.calls("sum") == ["sum"]
    _set_config(e2e.fake.home, cli, "sonnet")
    explained = e2e.am("explain", "sum")
    said = f"the default model {cli} takes from {SHOWN[cli]} changed: opus → sonnet"
    assert said in explained.text, explained
    run = e2e.am()
    assert run.summary.ran == 1, run
    assert e2e.calls("sum") == ["sum", "sum"]
    assert e2e.am().summary.up_to_date == 1
    _set_config(e2e.fake.home, cli, "opus")  # (back: the first answer, from the cache, no call)
    run = e2e.am()
    assert run.summary.cached + run.summary.up_to_date == 1, run
    assert len(e2e.calls("sum")) == 2


def test_the_environments_model_beats_the_config_file(e2e: E2E, monkeypatch: pytest.MonkeyPatch) -> None:
    _agentfile(e2e, "claude")
    monkeypatch.setenv("ANTHROPIC_MODEL", "haiku")
    _set_config(e2e.fake.home, "claude", "opus")
    assert e2e.am().code == 0
    _set_config(e2e.fake.home, "claude", "sonnet")
    run = e2e.am()
    assert run.summary.up_to_date == 1, run
    _set_config(e2e.fake.home, "claude", None)
    assert e2e.am().summary.up_to_date == 1
    assert e2e.calls("sum") == ["sum"]
    assert '"model":"haiku"' in _task_parts(e2e).replace(" ", "")
    monkeypatch.delenv("ANTHROPIC_MODEL")  # (none in the environment: the file's is the model)
    _set_config(e2e.fake.home, "claude", "haiku")
    assert e2e.am().summary.up_to_date == 1
    _set_config(e2e.fake.home, "claude", "sonnet")
    assert e2e.am().summary.ran == 1


def test_the_agentfiles_model_beats_the_config_file(e2e: E2E) -> None:
    _agentfile(e2e, "claude", "model = opus")
    _set_config(e2e.fake.home, "claude", "haiku")
    assert e2e.am().code == 0
    _set_config(e2e.fake.home, "claude", "sonnet")
    run = e2e.am()
    assert run.summary.up_to_date == 1, run
    assert e2e.calls("sum") == ["sum"]
    parts = _task_parts(e2e)
    assert "_model_from" not in parts and "haiku" not in parts and "sonnet" not in parts
    _agentfile(e2e, "claude")  # (none in the Agentfile: the file's is the model)
    _set_config(e2e.fake.home, "claude", "opus")
    assert e2e.am().summary.up_to_date == 1
    _set_config(e2e.fake.home, "claude", "sonnet")
    assert e2e.am().summary.ran == 1


def test_the_same_model_in_the_agentfile_or_the_config_file_is_the_same_result(e2e: E2E) -> None:
    _agentfile(e2e, "claude", "model = opus")
    assert e2e.am().code == 0
    _agentfile(e2e, "claude")
    _set_config(e2e.fake.home, "claude", "opus")
    run = e2e.am()
    assert run.summary.up_to_date + run.summary.cached == 1, run
    assert e2e.calls("sum") == ["sum"]


def test_a_config_file_that_now_names_a_model_reruns(e2e: E2E) -> None:
    """Built by this agentmake with no config file (the CLI's own default model), then a file that names
    one: another model. (A record of an agentmake before is adopted instead: see below.)"""
    _agentfile(e2e, "claude")
    assert e2e.am().code == 0
    _set_config(e2e.fake.home, "claude", "sonnet")
    explained = e2e.am("explain", "sum")
    said = "the default model claude takes from ~/.claude/settings.json changed: (default) → sonnet"
    assert said in explained.text, explained
    assert e2e.am().summary.ran == 1


@pytest.mark.parametrize("text", ["{not json", '{"model": 5}', '["opus"]', "", '{"model": "  "}'])
def test_an_invalid_config_file_names_no_model(e2e: E2E, text: str) -> None:
    _agentfile(e2e, "claude")
    assert e2e.am().code == 0
    path = e2e.fake.home / ".claude" / "settings.json"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    run = e2e.am()
    assert run.code == 0 and run.summary.up_to_date == 1, run
    path.write_text('{"model": "opus"}')  # (made valid: it names a model now)
    assert e2e.am().summary.ran == 1


class OldE2E(E2E):
    """This agentmake as it was before a config file's model was keyed: no preset has such a file."""

    def argv(self, args: tuple[str, ...]) -> list[str]:
        old = (
            "import runpy, agentmake.runners.modelconfig as m; m.CONFIGS.clear(); "
            "runpy.run_module('agentmake', run_name='__main__', alter_sys=True)"
        )
        return [*super().argv(())[:1], "-c", old, *args]


@pytest.mark.parametrize("before", ["sonnet", None])
def test_a_project_built_before_runs_nothing_after(e2e: E2E, before: str | None) -> None:
    """Built before, with the config file as it is now (`before`) or none: the first build after runs
    nothing (what the file named then is unknown: make's answer), and a later change of its model reruns."""
    _agentfile(e2e, "claude")
    _set_config(e2e.fake.home, "claude", before)
    old = OldE2E(e2e.root, e2e.fake)
    assert old.am().code == 0
    assert old.am().summary.up_to_date == 1  # (and the build stamp, as the agentmake before wrote it)
    assert "_cfgmodel" not in _task_parts(e2e)
    _set_config(e2e.fake.home, "claude", "sonnet")
    explained = e2e.am("explain", "sum")
    assert "sum.md [sum] is up to date" in explained.text, explained
    run = e2e.am()
    assert run.summary.up_to_date == 1 and run.summary.ran == 0, run
    assert "_cfgmodel" in _task_parts(e2e)  # (the record switched to the key with the model)
    assert e2e.am().summary.up_to_date == 1
    assert e2e.calls("sum") == ["sum"]
    _set_config(e2e.fake.home, "claude", "opus")
    explained = e2e.am("explain", "sum")
    said = "the default model claude takes from ~/.claude/settings.json changed: sonnet → opus"
    assert said in explained.text, explained
    run = e2e.am()
    assert run.summary.ran == 1, run
    assert e2e.calls("sum") == ["sum", "sum"]


def test_without_a_config_file_the_key_is_as_before(e2e: E2E) -> None:
    """No config file: the key and the build stamp are those of the agentmake before, byte for byte."""
    _agentfile(e2e, "claude")
    old = OldE2E(e2e.root, e2e.fake)
    assert old.am().code == 0
    keys = _task_keys(e2e)
    stamp = (e2e.root / ".agentmake" / "stamp").read_bytes()
    (e2e.root / ".agentmake" / "stamp").unlink()
    run = e2e.am("-B")  # (rebuilt by this agentmake: its record is keyed anew)
    assert run.summary.ran == 1, run
    assert _task_keys(e2e) == keys
    assert e2e.am().summary.up_to_date == 1
    stamped = (e2e.root / ".agentmake" / "stamp").read_bytes()
    assert json.loads(stamped.split(b"\n")[1])["sig"] == json.loads(stamp.split(b"\n")[1])["sig"]


def _task_parts(e2e: E2E) -> str:
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn:
        return "\n".join(row[0] for row in conn.execute("SELECT parts FROM tasks"))


def _task_keys(e2e: E2E) -> list[str]:
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn:
        return [row[0] for row in conn.execute("SELECT key FROM tasks ORDER BY task_id")]


# the reading of the files itself


def _home(tmp_path: Path) -> dict[str, str]:
    return {"HOME": str(tmp_path)}


@pytest.mark.parametrize("tomllib", [True, False])
def test_codex_takes_the_model_of_the_profile_file_chosen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tomllib: bool
) -> None:
    """codex 0.134 and later: a profile is the ``<NAME>.config.toml`` of ``--profile NAME``; no
    ``profile`` selector nor ``[profiles.NAME]`` table is read (test_codex28_merged_config)."""
    if not tomllib:  # (as on Python 3.10: `_toml_strings` reads the file)
        monkeypatch.setitem(sys.modules, "tomllib", None)
    env = _home(tmp_path)
    path = config_path("codex", env)
    assert path is not None
    path.parent.mkdir()
    path.write_text('model = "o3"\nprofile = "fast"\n[profiles.fast]\nmodel = "o4-mini"\n[profiles.deep]\n'
                    "model = 'gpt-5'\n")  # fmt: skip
    (path.parent / "deep.config.toml").write_text("model = 'gpt-5.1'\n")
    codex = PRESETS["codex"]
    assert config_model("codex", codex, env) == ("o3", "codex", "~/.codex/config.toml")
    deep = RunnerSpec(name="deep", command=(*codex.command, "--profile", "deep"), base="codex")
    assert config_model("codex", deep, env) == ("gpt-5.1", "codex", "~/.codex/deep.config.toml")


def test_codex_config_without_tomllib(tmp_path: Path) -> None:
    """Python 3.10's reading (`_toml_strings`) finds what tomllib finds in the usual files."""
    from agentmake.runners.configtext import toml_strings as _toml_strings

    text = (
        '# mine\nmodel = "o3"  # the best\nprofile = "fast"\napproval = ["x"]\n[[hooks]]\nmodel = "hook"\n'
        '[profiles.fast]\nmodel = \'o4-mini\'\n[profiles."deep one"]\nmodel = "gpt-5"\n'
        '[tools]\nmodel = "no"\n'
    )
    profiles = {"fast": {"model": "o4-mini"}, "deep one": {"model": "gpt-5"}}
    assert _toml_strings(text) == {"model": "o3", "profile": "fast", "profiles": profiles}


def test_gemini_reads_both_forms_and_comments(tmp_path: Path) -> None:
    env = _home(tmp_path)
    path = config_path("gemini", env)
    assert path is not None
    path.parent.mkdir()
    path.write_text('{\n  // mine\n  "model": {"name": "gemini-2.5-pro" /* pinned */}, "u": "http://x"\n}')
    assert config_model("gemini", PRESETS["gemini"], env) == ("gemini-2.5-pro", "gemini", SHOWN["gemini"])
    path.write_text('{"model": "gemini-1.5-pro"}')
    assert config_model("gemini", PRESETS["gemini"], env) == ("gemini-1.5-pro", "gemini", SHOWN["gemini"])


def test_the_files_are_found_where_the_clis_look(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "CLAUDE_CONFIG_DIR": "/c", "CODEX_HOME": "/x", "LLM_USER_PATH": "/l"}
    assert config_path("claude", env) == Path("/c/settings.json")
    assert config_path("codex", env) == Path("/x/config.toml")
    assert config_path("llm", env) == Path("/l/default_model.txt")
    assert config_path("gemini", env) == tmp_path / ".gemini" / "settings.json"
    assert config_path("ollama", env) is None and config_path("aider", env) is None


def test_missing_unreadable_or_huge_files_name_no_model(tmp_path: Path) -> None:
    env = _home(tmp_path)
    assert config_model("claude", PRESETS["claude"], env) is None
    path = config_path("claude", env)
    assert path is not None
    path.mkdir(parents=True)  # (a directory where the file should be)
    assert config_model("claude", PRESETS["claude"], env) is None
    path.rmdir()
    path.write_text(json.dumps({"model": "opus", "pad": "x" * (1 << 20)}))
    assert config_model("claude", PRESETS["claude"], env) is None
    assert [d for _, d in stamp_digests(env)].count("") == 4  # (a huge file is as none: it names no model)
