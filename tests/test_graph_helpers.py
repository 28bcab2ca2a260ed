"""Builders for graph tests: Agentfile objects made from model dataclasses, projects as real files."""

from __future__ import annotations

from pathlib import Path

from agentmake.errors import Loc
from agentmake.model import Agentfile, AgentSpec, Prompt, ReportSpec, Settings


def agent(
    name: str, inputs: str | tuple[str, ...], outputs: str | tuple[str, ...], **kw: object
) -> AgentSpec:
    ins = tuple(inputs.split()) if isinstance(inputs, str) else inputs
    outs = tuple(outputs.split()) if isinstance(outputs, str) else outputs
    locs = {"inputs": Loc("Agentfile", 3, 5), "outputs": Loc("Agentfile", 4, 5)}
    where = Loc("Agentfile", 2, 1)
    return AgentSpec(name, ins, outs, prompt=Prompt("do it"), loc=where, key_locs=locs, **kw)  # type: ignore[arg-type]


def report(name: str, inputs: str, output: str) -> ReportSpec:
    locs = {"inputs": Loc("Agentfile", 9, 5), "output": Loc("Agentfile", 10, 5)}
    return ReportSpec(name, tuple(inputs.split()), output, loc=Loc("Agentfile", 8, 1), key_locs=locs)


def project(
    root: Path, files: list[str], *specs: AgentSpec | ReportSpec, default: tuple[str, ...] = ()
) -> Agentfile:
    for f in files:
        p = root / f
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(f"content of {f}\n")
    return Agentfile(
        path=root / "Agentfile",
        root=root,
        settings=Settings(default=default),
        variables={},
        runners={},
        agents={s.name: s for s in specs if isinstance(s, AgentSpec)},
        reports={s.name: s for s in specs if isinstance(s, ReportSpec)},
    )
