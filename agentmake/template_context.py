"""What a prompt template sees of its task: variables, wildcards, input/inputs, output/outputs, `files` and
`read()`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from agentmake.template_lists import LinesList, PathList

__all__ = ["InputFile", "PathList", "as_input", "prompt_context", "read_input"]


def read_input(path: Path) -> str:
    """An input's content as a template sees it: its bytes decoded as UTF-8 (an undecodable byte as U+FFFD),
    line endings as they are. Not `read_text()`, whose universal newlines turn CRLF and a lone CR into LF:
    the agent would be sent other text than the file holds."""
    return path.read_bytes().decode("utf-8", errors="replace")


@dataclass(frozen=True, repr=False)
class InputFile:
    """An input as a template sees it in `files`: `.path` and `.content` (read when first used). The project
    root is private (`_root`: the sandbox refuses underscored attributes): a public `Path` would let a
    template read any file through it, unseen by the task's key. It shows as its path, alone and in a list
    (``{{ files }}``, one a line: `PathList`): never as the Python repr, which would put the project's
    absolute path in the prompt."""

    path: str
    _root: Path
    _open: Callable[[str], str] | None = None  # how it is read, if not from the disk (`prompt_context`)

    @property
    def content(self) -> str:
        return self._open(self.path) if self._open else read_input(self._root / self.path)

    def __str__(self) -> str:
        return self.path

    def __repr__(self) -> str:
        return repr(self.path)


def as_input(path: str) -> str:
    """A path given to `read()` as the task's inputs name it (`./docs/a.md`, `docs//a.md`: `docs/a.md`)."""
    from agentmake.graph.globs import normalize_path

    return normalize_path(path)


def prompt_context(
    root: Path,
    variables: Mapping[str, str],
    wildcards: Mapping[str, str],
    inputs: Sequence[str],
    outputs: Sequence[str],
    opener: Callable[[str], str] | None = None,
    *,
    as_before: int = 0,
) -> dict[str, object]:
    """What a prompt template sees: variables, wildcards, input/inputs, output/outputs, files and read().
    `opener` reads an input's text instead of the disk (a dry run reads an input it would restore from the
    cache: the build renders the prompt after restoring it). `as_before`: the lists as an older agentmake
    printed them, only to recognise a prompt it rendered (`plan.keyparts`: its key kept, not paid for
    again): 0, as now; 1 (`LinesList`), one a line but a list derived from one (`inputs[1:]`, `inputs|sort`)
    as Python's `['a.md', 'b.md']`; 2 (`list`), every list as Python's, as before `PathList`."""
    allowed = set(inputs)

    def read(path: str | InputFile) -> str:
        name = path.path if isinstance(path, InputFile) else path  # (an item of `files` names its input)
        if not isinstance(name, str):
            raise ValueError(f"read() takes an input's path or an item of files, not {type(name).__name__}")
        path = as_input(name)
        if path not in allowed:
            raise ValueError(f"read({name!r}): not an input of this task")
        return opener(path) if opener else read_input(root / path)

    listed: Callable[[Iterable[object]], list[object]] = (PathList, LinesList, list)[as_before]
    ctx: dict[str, object] = dict(variables)
    ctx.update(wildcards)
    ctx.update(
        input=inputs[0] if inputs else "",
        inputs=listed(inputs),
        output=outputs[0] if outputs else "",
        outputs=listed(outputs),
        files=listed(InputFile(p, root, opener) for p in inputs),
        read=read,
    )
    return ctx
