"""Fuzzing the loader: random and mutated Agentfiles give a model or an AgentfileError, never anything
else."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentmake.errors import AgentfileError
from agentmake.syntax.load import load_agentfile

SEED = """\
# tour
lang = "Chinese"
jobs = 2
runner fast:
    base = claude
    model = haiku
agent translate:
    description = Translate
    inputs = (
        docs/{name}.md
        "g l.txt"
    )
    outputs = build/{name}.md
    prompt = \"\"\"
        Translate {{ input }} into ${lang}.
        \"\"\"
    runner = fast
agent lint:
    inputs = build/{name}.md
    outputs = lint/{name}.txt
    run = wc -l {input} > {output}
    timeout = 5m
report r:
    inputs = lint/*.txt
    output = r.md
default = r
"""

ALPHABET = st.sampled_from(
    [
        *list('agentruport = :()"#{}$\n\t    xyz_-./*'),
        '"""',
        "\n    ",
        "${lang}",
        "agent ",
        "runner ",
        "report ",
    ]
)


def _load(text: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "Agentfile"
        path.write_text(text, encoding="utf-8")
        try:
            load_agentfile(path)
        except AgentfileError as e:
            assert e.render()  # rendering must not fail either


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ALPHABET, max_size=80).map("".join))
def test_random_text(text: str) -> None:
    _load(text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(0, len(SEED)), st.integers(0, 4), ALPHABET | st.text(max_size=3)),
        min_size=1,
        max_size=4,
    )
)
def test_mutated_seed(edits: list[tuple[int, int, str]]) -> None:
    text = SEED
    for pos, cut, insert in edits:
        pos = min(pos, len(text))
        text = text[:pos] + insert + text[pos + cut :]
    _load(text)


def test_seed_itself_loads(tmp_path: Path) -> None:
    (tmp_path / "Agentfile").write_text(SEED)
    af = load_agentfile(tmp_path / "Agentfile", strict=True)
    assert set(af.agents) == {"translate", "lint"} and set(af.reports) == {"r"}
