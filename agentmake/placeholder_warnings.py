"""What `agentmake check` points out of placeholders written in the other language's spelling, each of which
loads and runs without an error but does not do what it says (`placeholder_warnings`):

- in a `run` or `check` command, `{{ input }}`: literal braces there (`cat { input }`: a file named `{` is
  written at the project's root), where `{input}` was meant;
- in a command, `$lang` for the Agentfile's variable `lang`: the shell reads its own environment, where no
  such variable is set (`${lang}` is the Agentfile's, replaced when it loads); not told when the command sets
  that variable itself (`for name in {inputs}; do …$name…`, `name=…`, `read name`);
- in a command, `{input}` where the first input pattern is a glob matching several files: the first file
  alone (`cat {input}` of `src/*.py` reads one), where `{inputs}` names them all (a file per task followed
  by the tools it runs, `docs/{name}.md tools/t.py`, is not told);
- in a prompt, `{name}` for a wildcard or variable: sent as written, where `{{ name }}` was meant;
- a `run` command that names no `{output}` (nor `{outputs}`, nor `{{ output }}`, told above): it writes
  nothing agentmake takes (its outputs are staged at the paths these name), so every task of it fails.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from agentmake.model import Agentfile, AgentSpec

if TYPE_CHECKING:
    from agentmake.graph import Graph

_SLOTS = ("input", "inputs", "output", "outputs")
_DOUBLED = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")  # `{{ input }}`, `{{name}}`
_DOLLAR = re.compile(r"(?<!\$)\$([A-Za-z_][A-Za-z0-9_]*)")  # `$lang` (not `$${`, nor `${lang}`: replaced)
# a name the command sets itself (`for name in …`, `name=…`, `read -r name`): its `$name` is its own. An
# assignment starts a command (after `;`, `&&`, `|`, `(`, `{`, a newline, `then`, `do`, `else`, `export`…):
# an argument `lang=$lang` (`pandoc -M lang=$lang`, `make lang=$lang`) sets nothing, and is a slip
_SETS = re.compile(
    r"\bfor\s+([A-Za-z_][A-Za-z0-9_]*)\s+in\b"
    r"|(?:^|[;&|({\n]|\b(?:then|do|else|export|local|declare|readonly|typeset)\s)\s*([A-Za-z_][A-Za-z0-9_]*)=(?!=)"
    r"|\bread\s+(?:-\w+\s+)*((?:[A-Za-z_][A-Za-z0-9_]*\s*)+)"
)
_GLOB = re.compile(r"[*?[]")  # (a first input pattern that may match several files: `src/*.py`)
_SINGLE = re.compile(r"(?<![{$])\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})")  # `{name}`, not `{{name}}`
# what Jinja sends as written, or not at all: a `{% raw %}` block (`{name}` there is meant), a `{# comment #}`
_LITERAL = re.compile(r"\{%-?\s*raw\s*-?%\}.*?\{%-?\s*endraw\s*-?%\}|\{#.*?#\}", re.DOTALL)


def _set_by(command: str) -> set[str]:
    """The shell variables `command` sets itself (a loop's, an assignment's, `read`'s): `$name` after
    `for name in {inputs}` is the loop's, not a slip for the Agentfile's `{name}`."""
    found: set[str] = set()
    for m in _SETS.finditer(command):
        looped, assigned, read = m.groups()
        found.update(read.split() if read else [looped or assigned])
    return found


def placeholder_warnings(af: Agentfile, graph: Graph | None) -> list[str]:
    """One warning per agent and slip (see the module's docstring), in the Agentfile's order."""
    from agentmake.syntax.validate import wildcards
    from agentmake.templates import command_names

    inputs_of: dict[str, int] = {}  # agent -> the most inputs one of its tasks has
    if graph is not None:
        for t in graph.tasks.values():
            inputs_of[t.name] = max(inputs_of.get(t.name, 0), len(t.inputs))
    warnings = []
    slots, variables = set(_SLOTS), set(af.variables)  # (the same for every agent)
    in_prompts: dict[str, set[str]] = {}  # prompt text -> the {name}s it writes (agents share prompt files)
    for agent in af.agents.values():
        names = {w for p in (*agent.inputs, *agent.outputs) for w in wildcards(p)}
        commands = [(what, c) for what, c in (("run", agent.run), ("check", _check_of(agent))) if c]
        for what, command in commands:
            doubled = sorted({m[1] for m in _DOUBLED.finditer(command) if m[1] in names | slots})
            if doubled:
                said = ", ".join(f"{{{{ {n} }}}}" for n in doubled)
                meant = ", ".join(f"{{{n}}}" for n in doubled)
                warnings.append(
                    f"{agent.name}: its {what} command has {said}, literal braces in a command: write {meant}"
                )
            known = (names | variables) - _set_by(command)
            dollars = sorted({m[1] for m in _DOLLAR.finditer(command) if m[1] in known})
            if dollars:
                said = ", ".join(f"${n}" for n in dollars)
                meant = ", ".join(f"{{{n}}}" if n in names else f"${{{n}}}" for n in dollars)
                warnings.append(
                    f"{agent.name}: its {what} command reads {said} from the shell's environment, where"
                    f" agentmake sets no such variable: write {meant} for the Agentfile's value"
                )
            named = {n.split("[", 1)[0] for n in command_names(command)} | set(doubled)  # ({outputs[1]})
            if what == "run" and not named & {"output", "outputs"}:
                warnings.append(
                    f"{agent.name}: its run command names no {{output}} (or {{outputs}}), so every task of it"
                    f" fails: a command writes {{output}}, a temporary path renamed onto"
                    f" {', '.join(agent.outputs)} after"
                )
            many = inputs_of.get(agent.name, 0) if agent.inputs and _GLOB.search(agent.inputs[0]) else 0
            if many > 1 and "{input}" in command and "{inputs" not in command:
                warnings.append(
                    f"{agent.name}: its {what} command names {{input}}, the first of its {many} inputs alone:"
                    " {inputs} names them all ({inputs[0]}, the first, says it is meant)"
                )
        if agent.prompt is not None:
            known = names | slots | variables | {k for k, _ in agent.variables}
            written = in_prompts.get(agent.prompt.text)
            if written is None:
                written = in_prompts[agent.prompt.text] = _single_names(agent.prompt.text)
            single = sorted(written & known)
            if single:
                said = ", ".join(f"{{{n}}}" for n in single)
                meant = ", ".join(f"{{{{ {n} }}}}" for n in single)
                where = f"prompt {agent.prompt.path}" if agent.prompt.path else "prompt"
                warnings.append(
                    f"{agent.name}: its {where} has {said}, which a prompt sends as written: write {meant}"
                    " for the value"
                )
    return warnings


def _single_names(prompt: str) -> set[str]:
    """The `{name}`s a prompt's text writes where Jinja reads it (not in a raw block or a comment)."""
    return {m[1] for m in _SINGLE.finditer(_LITERAL.sub("", prompt))}


def _check_of(agent: AgentSpec) -> str | None:
    """An agent's check command, if its check is one (not `check = json`)."""
    check = agent.check
    return check.command if check is not None and check.kind == "command" else None
