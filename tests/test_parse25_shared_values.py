"""What the loader and `check` compute once for values many agents share (a prompt file, a duration text, a
prompt's `{name}`s, a pattern with no wildcard) is still computed, and told, for each value that differs."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.errors import AgentfileError
from agentmake.graph import build_graph
from agentmake.placeholder_warnings import placeholder_warnings
from agentmake.syntax.load import load_agentfile
from agentmake.syntax.validate import wildcards
from agentmake.syntax.values import Source, parse_duration, to_duration


def _write(root: Path, agentfile: str, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    (root / "Agentfile").write_text(agentfile)
    return root / "Agentfile"


def test_a_pattern_with_braces_still_names_its_wildcards() -> None:
    assert wildcards("build/report.md") == []
    assert wildcards("src/{dir}/{{lit}}/{name}.py") == ["dir", "name"]
    assert wildcards("a}}b") == []


def test_a_duration_seen_before_is_still_refused_where_it_is_a_zero_limit() -> None:
    src = Source("Agentfile", ["timeout = 0"])
    assert parse_duration("0") == 0.0 and to_duration("0", "estimate", src, 1, 11) == 0.0
    with pytest.raises(AgentfileError, match="longer than 0"):
        to_duration("0", "timeout", src, 1, 11, limit=True)
    assert parse_duration("5 minutes") is None and parse_duration("5 minutes") is None
    assert parse_duration("5m") == 300.0 and parse_duration(" 5m ") == 300.0


def test_a_duration_in_words_after_the_same_good_one_is_still_an_error(tmp_path: Path) -> None:
    blocks = "".join(
        f'agent a{i}:\n    outputs = o{i}.md\n    prompt = "x"\n    timeout = {t}\n\n'
        for i, t in enumerate(["5m", "5m", "5 minutes"])
    )
    with pytest.raises(AgentfileError, match="must be a duration") as e:
        load_agentfile(_write(tmp_path, blocks, {}))
    assert e.value.loc is not None and e.value.loc.line == 14


@pytest.mark.parametrize(
    ("bad", "said"),
    [("", "is empty"), ("{% include 'x.md' %}\n", "is not supported")],
)
def test_a_second_prompt_file_is_checked_after_a_first_was_found_fit(
    tmp_path: Path, bad: str, said: str
) -> None:
    agentfile = (
        "agent a:\n    outputs = a.md\n    prompt = p/good.md\n\n"
        "agent b:\n    outputs = b.md\n    prompt = p/good.md\n\n"
        "agent c:\n    outputs = c.md\n    prompt = p/bad.md\n"
    )
    path = _write(tmp_path, agentfile, {"p/good.md": "Do it.\n", "p/bad.md": bad})
    with pytest.raises(AgentfileError, match=said):
        load_agentfile(path)


def test_a_shared_prompt_file_is_told_of_for_each_agent_whose_names_it_writes(tmp_path: Path) -> None:
    # the same file: `{name}` is a slip only for the agent with a wildcard `name`, whichever comes first
    agentfile = (
        "agent one:\n    outputs = one.md\n    prompt = p/shared.md\n\n"
        "agent each:\n    inputs = src/{name}.txt\n    outputs = out/{name}.md\n    prompt = p/shared.md\n\n"
        "agent two:\n    outputs = two.md\n    prompt = p/shared.md\n"
    )
    path = _write(tmp_path, agentfile, {"p/shared.md": "Read {name}.\n", "src/x.txt": "x"})
    af = load_agentfile(path)
    warnings = placeholder_warnings(af, build_graph(af))
    assert [w.split(":", 1)[0] for w in warnings] == ["each"]
    assert "{name}, which a prompt sends as written" in warnings[0]


def test_a_block_setting_a_variable_reads_its_own_value_and_the_next_block_the_outer_one(
    tmp_path: Path,
) -> None:
    agentfile = (
        "lang = en\n\n"
        'agent own:\n    lang = fr\n    outputs = out/${lang}.md\n    prompt = "in ${lang}"\n\n'
        'agent plain:\n    outputs = plain/${lang}.md\n    prompt = "in ${lang}"\n'
    )
    af = load_agentfile(_write(tmp_path, agentfile, {}))
    assert af.agents["own"].outputs == ("out/fr.md",) and af.agents["plain"].outputs == ("plain/en.md",)
    assert af.agents["plain"].prompt is not None and af.agents["plain"].prompt.text == "in en"
