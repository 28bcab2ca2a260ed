"""`workflow.waiting.configuration_of`: a variable the command line sets to the value the Agentfile itself
gives it is no configuration (the graph is the plain build's); one whose own value is not one value (a block
sets it, or two assignments differ) is kept, as is any other value."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.store.owners import configuration
from agentmake.syntax import load_agentfile
from agentmake.workflow import Request
from agentmake.workflow.waiting import configuration_of

AGENT = (
    'agent t:\n    inputs = src/{name}.md\n    outputs = ${dir}/{name}.md\n    run = "cp {input} {output}"\n'
)


def _config(tmp_path: Path, text: str, **overrides: str) -> str:
    (tmp_path / "Agentfile").write_text(text)
    agentfile = load_agentfile(tmp_path / "Agentfile", overrides)
    return configuration_of(Request(directory=tmp_path, overrides=dict(overrides)), agentfile)


@pytest.mark.parametrize(
    "text, overrides, kept",
    [
        ("lang = es\ndir = out/${lang}\n" + AGENT, {"lang": "es"}, {}),
        ("lang = es\ndir = out/${lang}\n" + AGENT, {"lang": "es", "dir": "out/es"}, {}),
        (
            "lang = es\ndir = out/${lang}\n" + AGENT,
            {"lang": "fr", "dir": "out/es"},
            {"lang": "fr", "dir": "out/es"},
        ),
        ("lang = es\ndir = out/${lang}\n" + AGENT, {"lang": "fr"}, {"lang": "fr"}),
        # (the first assignment's value is not the last's: `dir` differs whether or not lang=fr is given)
        ("lang = es\ndir = out/${lang}\nlang = fr\n" + AGENT, {"lang": "fr"}, {"lang": "fr"}),
        # (a block sets it: the command line's value wins there too, the Agentfile's would not)
        ("lang = es\ndir = out\n" + AGENT + "    lang = fr\n", {"lang": "es"}, {"lang": "es"}),
        ("dir = out\n" + AGENT, {"jobs": "2"}, {}),
    ],
)
def test_configuration_of(tmp_path: Path, text: str, overrides: dict[str, str], kept: dict[str, str]) -> None:
    assert _config(tmp_path, text, **overrides) == configuration(kept)


def test_without_the_agentfile_every_variable_given_counts(tmp_path: Path) -> None:
    assert configuration_of(Request(directory=tmp_path, overrides={"lang": "es"})) == configuration(
        {"lang": "es"}
    )
