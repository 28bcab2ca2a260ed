"""Keys from real Agentfiles (loader + graph): edits that cannot change a result keep every key."""

from __future__ import annotations

from pathlib import Path

from rebuild_helpers import Builder, write

from agentmake.graph import Graph, build_graph
from agentmake.syntax.load import load_agentfile

BASE = '''lang = "Chinese"

agent translate:
    prompt = """
        Translate {{ input }} into {{ lang }}.
        """
    inputs = docs/{name}.md
    outputs = build/{name}.md
'''

COSMETIC = '''# translations for the docs site
lang = "Chinese"     # the target language
unused = "whatever"

# one task per page
agent translate:
    description = "translate one page"
    outputs = build/{name}.md
    inputs = docs/{name}.md
    priority = 5
    retries = 7
    timeout = 10m
    estimate = 30s
    prompt = """
        Translate {{ input }} into {{ lang }}.
        """
'''


def _builder(root: Path, overrides: dict[str, str] | None = None) -> Builder:
    def make() -> Graph:
        return build_graph(load_agentfile(root / "Agentfile", overrides or {}))

    return Builder(root, make)


def test_cosmetic_agentfile_edits_keep_keys(tmp_path: Path) -> None:
    write(tmp_path, "docs/a.md", "# a\n", age=1000)
    write(tmp_path, "docs/b.md", "# b\n", age=1000)
    write(tmp_path, "Agentfile", BASE)
    first = _builder(tmp_path).build()
    write(tmp_path, "Agentfile", COSMETIC)
    b = _builder(tmp_path)
    second = b.build()
    assert b.ran == []
    assert {t: d.key for t, d in first.items()} == {t: d.key for t, d in second.items()}


def test_agentfile_model_and_variable_changes(tmp_path: Path) -> None:
    write(tmp_path, "docs/a.md", "# a\n", age=1000)
    write(tmp_path, "Agentfile", BASE)
    _builder(tmp_path).build()
    write(tmp_path, "Agentfile", BASE.replace("    outputs", "    model = opus\n    outputs"))
    d = _builder(tmp_path).build()["translate:a"]
    assert [(r.kind, r.message) for r in d.reasons] == [("runner-changed", "model changed (default) → opus")]
    b = _builder(tmp_path, {"lang": "French"})
    d = b.build()["translate:a"]
    assert [r.kind for r in d.reasons] == ["prompt-changed"]
    assert d.prompt is not None and d.prompt.startswith("Translate docs/a.md into French.")
