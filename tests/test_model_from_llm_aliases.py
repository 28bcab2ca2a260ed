"""An `llm` model that is one of llm's own aliases (``aliases.json`` in its user directory, set by ``llm
aliases set fast gpt-4o-mini``: alias -> model id) is keyed as the model it names
(`runners.modelconfig.llm_aliases`), whichever names it: the Agentfile, LLM_MODEL or default_model.txt. A
task's key held the alias: pointing ``fast`` at another model kept the old model's results, said up to date.
Now setting the alias anew reruns, and the alias and the model it names are the same call. Real builds with
the fake CLIs, HOME a temporary directory."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import sys
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.runners.configstamp import stamp_digests
from agentmake.runners.modelconfig import llm_aliases

pytestmark = pytest.mark.skipif(sys.platform == "darwin", reason="llm's user directory is elsewhere on macOS")


def _agentfile(e2e: E2E, model: str = "") -> None:
    e2e.write(
        "Agentfile",
        f"""\
        agent sum:
            runner = llm
            {model}
            inputs = src.txt
            outputs = sum.md
            prompt = "FAKE: label=sum\\nSum up {{{{ read(input) }}}}"
        """,
    )


def _llm_dir(home: Path) -> Path:
    path = home / ".config" / "io.datasette.llm"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _aliases(home: Path, **aliases: object) -> None:
    (_llm_dir(home) / "aliases.json").write_text(json.dumps(aliases, indent=4) + "\n", encoding="utf-8")


def _keyed_model(e2e: E2E) -> str | None:
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn:
        (parts,) = conn.execute("SELECT parts FROM tasks WHERE task_id = 'sum'").fetchone()
    return json.loads(parts)["runner"]["model"]


def _sig(e2e: E2E) -> str:
    return str(json.loads((e2e.root / ".agentmake" / "stamp").read_bytes().split(b"\n")[1])["sig"])


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch) -> E2E:
    for name in ("LLM_MODEL", "LLM_USER_PATH"):
        monkeypatch.delenv(name, raising=False)
    project = E2E(tmp_path / "proj", fake_agents)
    project.write("src.txt", "hello\n")
    return project


def test_an_alias_is_keyed_as_the_model_it_names(e2e: E2E) -> None:
    _agentfile(e2e, "model = fast")
    _aliases(e2e.fake.home, fast="gpt-4o-mini", other="x")
    assert e2e.am().code == 0
    assert _keyed_model(e2e) == "gpt-4o-mini"
    assert e2e.am().summary.up_to_date == 1  # (the build stamp's answer)
    _aliases(e2e.fake.home, fast="gpt-4o-mini", other="y")  # (another alias: the same call)
    assert e2e.am().summary.up_to_date == 1
    _aliases(e2e.fake.home, fast="gpt-4o")
    explained = e2e.am("explain", "sum")
    assert "gpt-4o-mini → gpt-4o" in explained.text, explained
    run = e2e.am()  # (not the stamp's "up to date": aliases.json is in its signature)
    assert run.summary.ran == 1, run
    assert _keyed_model(e2e) == "gpt-4o"
    _agentfile(e2e, "model = gpt-4o")  # (the model it names, named: the same call)
    run = e2e.am()
    assert run.summary.up_to_date == 1 and run.summary.ran == 0, run
    assert e2e.calls("sum") == ["sum", "sum"]


def test_an_alias_from_the_environment_or_the_default_model_file(
    e2e: E2E, monkeypatch: pytest.MonkeyPatch
) -> None:
    _agentfile(e2e)
    _aliases(e2e.fake.home, fast="gpt-4o-mini", smart="gpt-4o")
    (_llm_dir(e2e.fake.home) / "default_model.txt").write_text("smart\n")
    assert e2e.am().code == 0
    assert _keyed_model(e2e) == "gpt-4o"
    monkeypatch.setenv("LLM_MODEL", "fast")
    assert e2e.am().summary.ran == 1
    assert _keyed_model(e2e) == "gpt-4o-mini"


def test_aliases_that_name_nothing(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path)}
    assert llm_aliases(env) == {}
    _aliases(tmp_path, fast="gpt-4o-mini", opts={"model": "x"}, blank=" ", n=5)
    assert llm_aliases(env) == {"fast": "gpt-4o-mini"}
    assert ["llm", "aliases.json"] in [entry[:2] for entry in stamp_digests(env)]
    (_llm_dir(tmp_path) / "aliases.json").write_text("{broken")
    assert llm_aliases(env) == {}
    (_llm_dir(tmp_path) / "aliases.json").write_text('["fast"]')
    assert llm_aliases(env) == {}
    user = tmp_path / "elsewhere"
    user.mkdir()
    (user / "aliases.json").write_text('{"fast": "m-user-path"}')
    assert llm_aliases({**env, "LLM_USER_PATH": str(user)}) == {"fast": "m-user-path"}


class BeforeE2E(E2E):
    """This agentmake as it was before llm's aliases were read."""

    def argv(self, args: tuple[str, ...]) -> list[str]:
        old = (
            "import runpy, agentmake.runners.modelconfig as m; m.llm_aliases = lambda *a, **k: {}; "
            "m.ALIASES = 'no-aliases.json'; "
            "runpy.run_module('agentmake', run_name='__main__', alter_sys=True)"
        )
        return [*super().argv(())[:1], "-c", old, *args]


def test_without_an_aliases_file_keys_and_stamp_are_as_before(e2e: E2E) -> None:
    _agentfile(e2e, "model = fast")
    before = BeforeE2E(e2e.root, e2e.fake)
    assert before.am().code == 0
    assert before.am().summary.up_to_date == 1
    stamp = _sig(e2e)
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn:
        keys = conn.execute("SELECT key, parts FROM tasks").fetchall()
    run = e2e.am()
    assert run.summary.up_to_date == 1 and e2e.calls("sum") == ["sum"], run
    assert _sig(e2e) == stamp
    (e2e.root / ".agentmake" / "stamp").unlink()
    assert e2e.am().summary.up_to_date == 1
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn:
        assert conn.execute("SELECT key, parts FROM tasks").fetchall() == keys
    assert _sig(e2e) == stamp
