"""The checks `dag.build_graph` makes of the files an Agentfile names, before any agent runs: every literal
input is a file on disk or some task's output (not a directory, a link to nowhere, a FIFO); a fan-out's
pattern matches some file; no output is a file agentmake reads to load the Agentfile, has a name too long once
staged, is a directory, or is the directory of another output; a wildcard value taken from a file name does
not move an output out of place. Each failure is an AgentfileError at the line that names the file.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from collections.abc import Container, Sequence

from agentmake.errors import AgentfileError
from agentmake.firstfew import first_few
from agentmake.graph.expand import INSIDE, Node
from agentmake.graph.fileindex import FileIndex
from agentmake.graph.globs import TMP_MARK, Pattern, normalize_path
from agentmake.graph.task import Task
from agentmake.model import Agentfile, AgentSpec

# what an error about a literal input says was expected
SOURCE = "a file in the project, or an output of an agent"
NAME_MAX = 255  # bytes in one file name (Linux, macOS)
# what a staged file's name adds to its output's: "." + the marker and "-" + 8 hex (see runners.staging)
STAGED_EXTRA = len(".") + len(TMP_MARK + "-") + 8

__all__ = ["check_inputs", "check_outputs", "makes_no_task"]


def check_outputs(
    agentfile: Agentfile,
    nodes: list[Node],
    producer: dict[str, str],
    tasks: dict[str, Task],
    node_of: dict[str, Node],
    index: FileIndex,
) -> None:
    """Outputs a build could not write, or must not: a file agentmake reads to load the Agentfile, a name too
    long once staged, a directory (seen in a directory the graph listed anyway), or the directory of another
    output. Caught here, before any agent runs (and not by a crash, or a build that overwrites the
    Agentfile)."""

    def fail(out: str, problem: str, hint: str | None = None, expected: str = "") -> AgentfileError:
        node = node_of[tasks[producer[out]].name]
        where = node.loc("outputs" if node.kind == "agent" else "output", out)
        said = [expected] if expected else []
        return AgentfileError(f"{node.kind} '{node.name}' output '{out}' {problem}", where, said, hint)

    root = os.fspath(agentfile.root)
    read = {normalize_path(os.path.relpath(f, root)) for f in agentfile.files}
    for out in sorted(read & producer.keys()):
        hint = "the Agentfile, its includes, prompts and templates are sources: a build would overwrite it"
        raise fail(out, "is a file agentmake reads to load the Agentfile", hint)
    for out in (
        o for o in producer if len(o) > (NAME_MAX - STAGED_EXTRA) // 4
    ):  # (4: bytes per char, at most)
        *dirs, name = (len(part.encode("utf-8", "surrogateescape")) for part in out.split("/"))
        if name + STAGED_EXTRA > NAME_MAX or any(n > NAME_MAX for n in dirs):
            limit = (
                f"{NAME_MAX - STAGED_EXTRA} bytes for a file name (its temporary file adds {STAGED_EXTRA})"
            )
            raise fail(
                out, "has a name too long for the filesystem", f"at most {limit}, {NAME_MAX} for a directory"
            )
    parents = {o.rpartition("/")[0] for o in producer}
    ancestors: set[str] = set()
    for d in parents:
        while d and d not in ancestors:
            ancestors.add(d)
            d = d.rpartition("/")[0]
    for out in sorted(ancestors & producer.keys()):
        inner = next(o for o in producer if o.startswith(out + "/"))
        raise fail(out, f"is the directory of another output, '{inner}'", "a path is a file or a directory")
    for node in nodes:
        if node.wildcards:  # a value taken from a file name ('..', '.agentmake') must not move an output
            for task in node.tasks:
                for out in task.outputs:
                    if problem := misplaced_output(out):
                        hint = "a wildcard took its value from a file name: rename that file"
                        raise fail(out, problem, hint, INSIDE)
        if not node.wildcards:  # (literal paths; no new listing: the build stamp rests on every one made)
            for task in node.tasks:
                for out in task.outputs:
                    head, _, base = out.rpartition("/")
                    listed = index.listing(head)
                    if listed is not None and base in listed[1]:
                        raise fail(out, "is a directory", "an output is a file the agent writes")


def misplaced_output(out: str) -> str | None:
    """Why an output made from wildcard values may not be written there (None: it may). The patterns were
    checked when loaded; a value is one path segment, but may be '.', '..' or '.agentmake'."""
    padded = f"/{out}/"
    if "/../" in padded:
        return "is outside the project directory"
    if "/./" in padded:
        return "is not a normal path (a '.' segment)"
    if out.startswith(".agentmake/"):
        return "is inside .agentmake/, agentmake's own state"
    return None


def check_inputs(node: Node, producer: dict[str, str], index: FileIndex, nodes: Sequence[Node] = ()) -> None:
    own: Container[str] | None = None
    for p in node.inputs:
        where = node.loc("inputs", p.text)
        if p.is_literal:
            path = p.literal_path
            if own is None:
                tasks = node.tasks
                own = tasks[0].outputs if len(tasks) == 1 else {o for t in tasks for o in t.outputs}
            if path in own:
                raise AgentfileError(
                    f"{node.kind} '{node.name}' lists '{path}' as both input and output",
                    where,
                    ["an input that is not one of its own outputs"],
                )
            if path in producer or index.is_file(path):
                continue
            if os.path.isdir(os.path.join(index.root, path)):
                raise AgentfileError(
                    f"{node.kind} '{node.name}' input '{path}' is a directory",
                    where,
                    hint=f"to depend on its files write '{path}/**'",
                )
            problem, hint = _not_a_file(os.path.join(index.root, path))
            hint = hint or _names_a_block(path, nodes)
            raise AgentfileError(f"{node.kind} '{node.name}' input '{path}' {problem}", where, [SOURCE], hint)
    if node.kind == "agent" and node.empty:
        raise AgentfileError(
            f"agent '{node.name}' inputs pattern '{node.empty[0].text}' matches no file",
            node.loc("inputs", node.empty[0].text),
            ["a pattern matching a file, or an output of another agent"],
            _made_by_idle(node.empty[0], nodes),
        )


def makes_no_task(agent: AgentSpec) -> str:
    """What to say of an agent that makes no task (a fan-out whose wildcard inputs match no file): `copy
    makes no task: no file matches docs/{name}.md`. (An agent without a wildcard input always makes one.)"""
    return f"{agent.name} makes no task: no file matches {', '.join(p for p in agent.inputs if '{' in p)}"


def _made_by_idle(pattern: Pattern, nodes: Sequence[Node]) -> str | None:
    """A hint for an input pattern that matches no file: an agent whose outputs it would match makes no task
    (its own inputs match no file: the cause to fix, a step upstream), if there is one."""
    for other in nodes:
        if other.kind != "agent" or other.tasks:
            continue
        for out in other.outputs:
            if fnmatch.fnmatchcase(re.sub(r"\{[^}]*\}", "x", out.text), pattern.text):
                unmatched = [p.text for p in other.inputs if not p.is_literal]
                why = f": no file matches {', '.join(unmatched)}" if unmatched else ""
                return f"agent '{other.name}', which would make {out.text}, makes no task{why}"
    return None


def _names_a_block(path: str, nodes: Sequence[Node]) -> str | None:
    """The hint for an input that is the name of an agent or report (`inputs = scan`): an input is a file,
    so name the file(s) it makes."""
    block = next((n for n in nodes if n.name == path), None)
    if block is None:
        return None
    files = first_few([p.text for p in block.outputs])
    return f"'{path}' is the name of {block.kind} '{path}': an input is a file; name what it makes ({files})"


def _not_a_file(full: str) -> tuple[str, str | None]:
    """What stands at a literal input that is neither a file nor a directory nor made by an agent, and a hint:
    nothing at all, a link to nowhere, or a FIFO, socket or device (which have no content to hash)."""
    try:
        st = os.lstat(full)
    except OSError:
        return "does not exist and no agent produces it", None
    what = ""
    if stat.S_ISLNK(st.st_mode):
        try:
            what = f"a link to '{os.readlink(full)}', "
            st = os.stat(full)
        except OSError:
            hint = "make the link point to a file, or remove it"
            return f"is {what or 'a link, '}which does not exist", hint
    kind = (
        "a named pipe (FIFO)"
        if stat.S_ISFIFO(st.st_mode)
        else "a socket"
        if stat.S_ISSOCK(st.st_mode)
        else "a device"
        if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
        else "not a regular file"
    )
    return f"is {what}{kind}, not a file", "an input is a regular file, whose content agentmake hashes"
