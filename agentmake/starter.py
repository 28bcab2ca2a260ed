"""`agentmake init`: the starter project (an Agentfile, its prompt and a note) and writing it into a
directory, refusing to overwrite any file it would write (an existing Agentfile included); it works in a
non-empty directory.
"""

from __future__ import annotations

import contextlib
import os
import shlex
from pathlib import Path
from typing import TextIO

from agentmake.errors import UsageError
from agentmake.safetext import term_safe

STARTER_AGENTFILE = """\
# Agentfile: what agentmake builds. Run `agentmake check`, `agentmake list`, then `agentmake`.
# The language: `agentmake --help` names where it is described.

jobs = 4                     # tasks at once
retries = 2                  # retries after a failed attempt
runner = claude              # claude, codex, gemini, llm, ollama or aider (gemini, ollama: set `model` too)
# (or openai-http: any OpenAI-compatible server, vLLM or llama.cpp; set `model`, and the server's url in a
#  block `runner openai-http:` with `url = http://localhost:8000/v1`, or OPENAI_BASE_URL)
style = "short and concrete" # a variable: prompts see it as {{ style }}

# One task per Markdown file in notes/: notes/a.md -> build/summaries/a.md
agent summarize:
    description = Summarise each note
    inputs = notes/{name}.md
    outputs = build/summaries/{name}.md
    prompt = prompts/summarize.md

# A shell agent: no LLM, {input}/{output} are shell-quoted
agent count:
    description = Count the words of each summary
    inputs = build/summaries/{name}.md
    outputs = build/counts/{name}.txt
    run = wc -w < {input} > {output}

report digest:
    title = Notes digest
    inputs = build/summaries/*.md build/counts/*.txt
    output = build/digest.md
"""


DOC_NAME = "agentfile.md"  # grammar/README.md as the package's data (pyproject.toml's force-include)


def language_doc() -> Path | None:
    """The description of the Agentfile language on this machine: the package's data (a pip install) or, in
    a source checkout, `<repo>/grammar/README.md`; None if neither is there."""
    syntax = Path(__file__).resolve().parent / "syntax"
    for path in (syntax / DOC_NAME, syntax.parent.parent / "grammar" / "README.md"):
        if path.is_file():
            return path
    return None


def language_doc_named() -> str | None:
    """`language_doc` as `agentmake --help` names it: from the home directory (`~/...`, no user name) when
    under it; None if there is none."""
    doc = language_doc()
    if doc is None:
        return None
    with contextlib.suppress(RuntimeError, ValueError):
        doc = Path("~") / doc.relative_to(Path.home())
    return str(doc)


STARTER_PROMPT = """\
Summarise the note below in five bullet points, {{ style }}.
Answer with the summary only, in Markdown: your answer becomes {{ output }}.

{% for f in files %}
--- {{ f.path }}
{{ f.content }}
{% endfor %}
"""


STARTER_NOTE = "# A first note\n\nReplace this with your own notes; each one gets a summary.\n"


def init_project(directory: Path, out: TextIO, agentfile: Path | None = None) -> int:
    """Write a starter project into `directory`; refuse if any of its files already exists. With
    `agentfile` (`-f FILE`, relative to `directory`) the Agentfile is written there, and its prompt and
    note beside it: in the directory that holds it, the project's root as every other command takes it."""
    path = directory / (agentfile if agentfile is not None else "Agentfile")
    directory = path.parent
    files = {
        # (its comment names no path on this machine: a project shared through git has other users, whose
        # agentmake is installed elsewhere; `agentmake --help` names where it is on theirs)
        path.name: STARTER_AGENTFILE,
        "prompts/summarize.md": STARTER_PROMPT,
        "notes/example.md": STARTER_NOTE,
    }
    parents = dict.fromkeys(Path(rel).parent for rel in files if Path(rel).parent != Path("."))
    if Path(path.name) in parents:
        raise UsageError(
            f"init: an Agentfile named {path.name} would stand where the directory {path.name} goes"
        )
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"init: {directory} is not a directory; nothing written")
    # (a link counts, even a dangling one: writing through it would write elsewhere)
    existing = [rel for rel in files if (directory / rel).exists() or (directory / rel).is_symlink()]
    if existing:
        verb = "already exists" if len(existing) == 1 else "already exist"
        raise UsageError(
            f"init: {', '.join(existing)} {verb} in {directory}; nothing written"
            " (`agentmake init -f NEWDIR/Agentfile` starts a project in a new directory)"
        )
    # a file where a directory goes fails before anything is written: not after the Agentfile, which a
    # second `init` then refuses to replace
    blocked = [str(p) for p in parents if (directory / p).exists() and not (directory / p).is_dir()]
    if blocked:
        raise UsageError(f"init: {', '.join(blocked)} in {directory} is not a directory; nothing written")
    for parent in parents:
        (directory / parent).mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        (directory / rel).write_text(text, encoding="utf-8")
        out.write(term_safe(f"wrote {directory / rel}") + "\n")
    # the commands that follow, and the prompt to edit, as the user must name them from here
    command, prompt = "agentmake", "prompts/summarize.md"
    if agentfile is not None:
        command += f" -f {shlex.quote(_from_here(path))}"
    elif not _is_here(directory):  # (`-C new init`: `agentmake check` here would find no Agentfile)
        command += f" -C {shlex.quote(_from_here(directory))}"
    if agentfile is not None or not _is_here(directory):
        prompt = _from_here(directory / prompt)
    out.write(term_safe(f"next: edit {prompt}, then run `{command} check` and `{command}`") + "\n")
    return 0


def _from_here(path: Path) -> str:
    """`path` as named from the working directory; absolute when there is none (deleted since)."""
    try:
        return os.path.relpath(path)
    except OSError:
        return str(path)


def _is_here(directory: Path) -> bool:
    """Whether `directory` is the working directory."""
    try:
        return os.path.samefile(directory, ".")
    except OSError:
        return False
