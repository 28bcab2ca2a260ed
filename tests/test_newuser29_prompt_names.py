"""A prompt reading a name nothing defines, and close to none (`{{ topic }}` with no such variable,
`{{ name }}` in an agent with no `{name}` wildcard), was told `undefined name: 'topic' is undefined` by
`check` and a build, and nothing more: which names a prompt sees was left to the grammar. A build that
rendered it said them (`available: ...`), the check that stops it first did not. Now the check says them
too."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.cli import main

AGENTFILE = """\
lang = "French"

agent one:
    inputs = docs/a.md
    outputs = out/a.md
    prompt = p.md

agent each:
    inputs = docs/{doc}.md
    outputs = out/each/{doc}.md
    prompt = p.md
"""


@pytest.mark.parametrize("name", ["topic", "name"])
def test_an_undefined_name_in_a_prompt_is_told_with_the_names_it_sees(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("alpha\n")
    (tmp_path / "p.md").write_text(
        f"Translate into {{{{ lang }}}}, about {{{{ {name} }}}}:\n{{{{ read(input) }}}}\n"
    )
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    assert main(["-C", str(tmp_path), "check"]) == 2
    err = capsys.readouterr().err
    assert "p.md:1:" in err and f"undefined name: '{name}' is undefined" in err, err
    said = next(line for line in err.splitlines() if line.startswith("available: "))
    seen = said.removeprefix("available: ").split(", ")
    assert {"files", "input", "inputs", "lang", "output", "outputs", "read"} <= set(seen), said
    assert name not in seen, said
