"""`agentmake -t` looks for the outputs another Agentfile sharing the directory's state recorded
(`plan.shared.shared_outputs`: a query of the records, a hash of each such file) once: it warned of them
(`workflow.building.check_shared`), then looked again for the tasks it must not touch (`touching._theirs`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.cli import main
from agentmake.plan import shared
from agentmake.plan.shared import Shared

AGENT = '''agent {name}:
    inputs = src.md
    outputs = shared.md
    prompt = """
        FAKE: label={name}
        {name} says: {{{{ read(input) }}}}
        """
'''


@pytest.mark.parametrize("dry", [False, True], ids=["touch", "dry-run"])
def test_touch_looks_for_the_other_agentfiles_outputs_once(
    tmp_path: Path,
    fake_agents: FakeAgents,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    dry: bool,
) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("src.md", "hello\n")
    e2e.write("Agentfile", AGENT.format(name="a"))
    e2e.write("ci.Agentfile", AGENT.format(name="b"))
    assert e2e.am().code == 0  # (a's answer in shared.md, recorded by Agentfile)
    looks: list[str] = []
    real = shared.shared_outputs

    def counted(*args: object, **kwargs: object) -> list[Shared]:
        looks.append("look")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(shared, "shared_outputs", counted)
    monkeypatch.setenv("NO_COLOR", "1")
    code = main(["-C", str(e2e.root), "-f", "ci.Agentfile", "-t", *(["-n"] if dry else [])])
    out, err = capsys.readouterr()
    assert looks == ["look"]
    if dry:  # (the same verdicts as before: b not touched, why said)
        assert code == 0 and "would not touch b: output shared.md holds the result of task a" in out, out
    else:
        assert code == 1 and "not touched b  (output shared.md holds the result of task a" in err, err
    assert "is an output of both" in err, err  # (and warned of, as before)
