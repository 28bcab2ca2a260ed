"""The commands that only read or create an Agentfile: `check`, `list` and `init`.

`check` says its summary line (`check_report`) after the checks of `template_checks` and with the warnings
of `check_warnings`; `list` lists agents and reports (`list_targets`); `init` writes the starter project of
`starter`. The public names of those modules are importable from here too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from agentmake.check_warnings import check_warnings, unfound_runners
from agentmake.check_warnings import idle_agents as idle_agents
from agentmake.check_warnings import missing_check_programs as missing_check_programs
from agentmake.check_warnings import missing_programs as missing_programs
from agentmake.check_warnings import setting_typos as setting_typos
from agentmake.errors import plural
from agentmake.locate import agentfile_path
from agentmake.model import Agentfile, AgentSpec, ReportSpec
from agentmake.natorder import natural_key
from agentmake.safetext import term_safe
from agentmake.starter import STARTER_AGENTFILE as STARTER_AGENTFILE
from agentmake.starter import STARTER_NOTE as STARTER_NOTE
from agentmake.starter import STARTER_PROMPT as STARTER_PROMPT
from agentmake.starter import init_project as init_project
from agentmake.syntax import load_agentfile
from agentmake.template_checks import KnownTemplates, check_task_templates, check_templates
from agentmake.template_checks import compile_build_templates as compile_build_templates

if TYPE_CHECKING:
    from agentmake.graph import Task

ID_COLUMN = 40  # `list`: task ids up to this long line up their arrows; a longer one is written as it is


def load(directory: Path, agentfile: Path | None, overrides: dict[str, str]) -> Agentfile:
    return load_agentfile(agentfile_path(directory, agentfile), overrides)


def check_summary(af: Agentfile) -> str:
    """One line: ``Agentfile: 5 agents (57 tasks), 2 reports, 3 of 10 runners in use — ok``. Builds the
    graph, so missing inputs and cycles are reported too; of the runners known (the built-in presets and
    those the Agentfile declares), those the agents and reports use."""
    return check_report(af)[0]


def check_report(af: Agentfile) -> tuple[str, list[str]]:
    """What `agentmake check` says: its summary line (`check_summary`) and its warnings (`check_warnings`),
    from one build of the graph. The line ends `— ok`, or, when a runner in use has its program neither on
    PATH nor in the project, `— not buildable here: claude, codex not found` (each such runner, and who
    uses it, is a warning too): not `ok` while every task of those runners would fail. Still exit 0 (a
    warning, not an error: `check` lints an Agentfile where its build may not run, a CI job without the
    agents' CLIs; a build started without them fails at once, at the first such task, paying nothing for
    it)."""
    from agentmake.graph import build_graph

    known = KnownTemplates()  # (read once, written once: what compiled is kept even if a later check fails)
    graph = None
    try:
        check_templates(af, known)
        try:
            graph = build_graph(af)
            tasks = f" ({plural(sum(1 for t in graph.tasks.values() if t.kind == 'agent'), 'task')})"
        except NotImplementedError:
            tasks = ""
        else:
            check_task_templates(af, graph, known)
    finally:
        known.save()
    used = {a.runner for a in af.agents.values()}
    used |= {r.runner or af.settings.runner for r in af.reports.values() if r.merge is not None}
    name = af.path.name
    unfound = unfound_runners(af)  # (once: the line and the warnings say the same, PATH looked up once)
    programs = dict.fromkeys(program for program, _ in unfound.values())
    verdict = f"not buildable here: {', '.join(programs)} not found" if programs else "ok"
    summary = (
        f"{name}: {plural(len(af.agents), 'agent')}{tasks}, {plural(len(af.reports), 'report')}, "
        f"{len(used)} of {plural(len(af.runners), 'runner')} in use — {verdict}"
    )
    return summary, check_warnings(af, graph, unfound)


def list_targets(af: Agentfile, out: TextIO, verbose: bool = False, limit: int = 10) -> None:
    """Agents (description, runner, tasks after fan-out) and reports (output, inputs)."""
    from agentmake.graph import build_graph
    from agentmake.pathwords import quote_path, quote_paths

    graph = build_graph(af)
    width = max((len(n) for n in [*af.agents, *af.reports]), default=0)
    of: dict[str, list[Task]] = {name: [] for name in af.agents}
    for t in graph.tasks.values():
        if t.name in of:
            of[t.name].append(t)
    of = {
        name: sorted(tasks, key=lambda t: natural_key(t.id)) for name, tasks in of.items()
    }  # (notes/2, notes/10)
    shown_of = {name: tasks if verbose else tasks[:limit] for name, tasks in of.items()}
    # task ids in one column (their arrows lined up), unless a very long one would push every other away
    ids = (len(t.id) for tasks in shown_of.values() for t in tasks)
    id_width = max((n for n in ids if n <= ID_COLUMN), default=0)
    if af.agents:
        out.write("agents:\n")
    for name, agent in af.agents.items():
        tasks, shown = of[name], shown_of[name]
        desc = f"{agent.description}  " if agent.description else ""
        line = f"  {name:<{width}}  {desc}[{agent.runner}, {plural(len(tasks), 'task')}]"
        out.write(term_safe(line) + "\n")
        if agent.variables:
            out.write(term_safe(f"    with {_settings_of(agent)}") + "\n")
        for t in shown:
            out.write(term_safe(f"    {t.id:<{id_width}}  -> {quote_paths(t.outputs)}") + "\n")
        if len(tasks) > len(shown):
            out.write(f"    … and {len(tasks) - len(shown)} more (-v shows all)\n")
    if af.reports:
        out.write("reports:\n")
    for name, report in af.reports.items():
        title = f"  {report.title}" if report.title else ""
        out.write(term_safe(f"  {name:<{width}}  -> {quote_path(report.output)}{title}") + "\n")
        if report.variables:
            out.write(term_safe(f"    with {_settings_of(report)}") + "\n")
    if af.settings.default:
        out.write(term_safe(f"default: {' '.join(af.settings.default)}") + "\n")


def _settings_of(spec: AgentSpec | ReportSpec, width: int = 40) -> str:
    """The variables a block sets for itself, for `list`: ``focus="security", tone="terse"`` (a long
    value cut short with an ellipsis)."""
    shown = []
    for name, value in spec.variables:
        quoted = json.dumps(value, ensure_ascii=False)
        if len(quoted) > width:
            quoted = quoted[: width - 2] + '…"'
        shown.append(f"{name}={quoted}")
    return ", ".join(shown)
