"""`check` compiles each template text once: texts seen to compile are remembered in the private cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake import templates
from agentmake.errors import AgentfileError
from agentmake.project import KnownTemplates, check_summary
from agentmake.syntax import load_agentfile

AGENTFILE = """\
agent a:
    inputs = a.txt
    outputs = out/a.md
    prompt = \"\"\"
        Summarise {{ read(input) }}
        \"\"\"
"""


@pytest.mark.usefixtures("fake_agents")  # (claude on PATH: else `— not buildable here`)
def test_a_template_seen_to_compile_is_not_compiled_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "a.txt").write_text("a\n")
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    compiled: list[str] = []
    real = templates._compile

    def counting(text: str, name: str) -> object:
        compiled.append(text)
        return real.__wrapped__(text, name) if hasattr(real, "__wrapped__") else real(text, name)

    monkeypatch.setattr(templates, "_compile", counting)
    assert "ok" in check_summary(load_agentfile(tmp_path / "Agentfile"))
    assert len(compiled) == 1
    # two keys of 16 bytes: the text compiles; its names are all defined for its agent's tasks
    assert (tmp_path / "cache" / "agentmake" / KnownTemplates.NAME).stat().st_size == 32
    assert "ok" in check_summary(load_agentfile(tmp_path / "Agentfile"))
    assert len(compiled) == 1, "the same text is known to compile"
    # a changed template is compiled, and a broken one is still a located error (and never remembered)
    (tmp_path / "Agentfile").write_text(AGENTFILE.replace("Summarise {{ read(input) }}", "Summarise {{ x "))
    with pytest.raises(AgentfileError, match="template syntax error"):
        check_summary(load_agentfile(tmp_path / "Agentfile"))
    with pytest.raises(AgentfileError, match="template syntax error"):
        check_summary(load_agentfile(tmp_path / "Agentfile"))
    assert len(compiled) == 3
    assert len(KnownTemplates().known) == 2


def test_no_private_cache_directory_means_no_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)  # writable by others: not a place for caches
    (shared / "agentmake").mkdir(mode=0o777)
    (shared / "agentmake").chmod(0o777)
    monkeypatch.setenv("XDG_CACHE_HOME", str(shared))
    known = KnownTemplates()
    assert known.path is None
    known.add("Hello {{ name }}")
    known.save()
    assert not (shared / "agentmake" / KnownTemplates.NAME).exists()
