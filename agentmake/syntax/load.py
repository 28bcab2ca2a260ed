"""Load and validate an Agentfile: read files, follow includes, then collect, build specs and validate.

Contract: `load_agentfile(path, overrides) -> Agentfile`; every mistake raises `AgentfileError` with a
location.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from agentmake.errors import AgentfileError, Loc, did_you_mean
from agentmake.gcpause import gc_paused
from agentmake.model import PRESET_NAMES, Agentfile, RunnerSpec
from agentmake.syntax import transform as tf
from agentmake.syntax.files import PromptFiles, Reads, decode_text, read_recorded
from agentmake.syntax.parser import parse_text
from agentmake.syntax.specs import build_agent, build_report, build_runner, build_settings
from agentmake.syntax.statements import Assign, Block, Include, Statement
from agentmake.syntax.validate import Validator
from agentmake.syntax.values import Source, substitute

MAX_INCLUDE_DEPTH = 100

_FALLBACK_PRESETS = {
    "claude": RunnerSpec(
        "claude", ("claude", "-p", "--output-format", "json"), model_flag="--model", format="claude-json"
    ),
    "codex": RunnerSpec("codex", ("codex", "exec", "--json", "-"), model_flag="-m", format="codex-jsonl"),
    "gemini": RunnerSpec("gemini", ("gemini", "-o", "json"), model_flag="-m", format="gemini-json"),
    "llm": RunnerSpec("llm", ("llm",), model_flag="-m", format="text"),
    "ollama": RunnerSpec("ollama", ("ollama", "run"), format="text"),
    "aider": RunnerSpec("aider", ("aider",), model_flag="--model", format="aider-text"),
    "openai-http": RunnerSpec(
        "openai-http", ("agentmake-openai-http",), model_flag="--model", format="openai-json"
    ),
    "shell": RunnerSpec("shell", ("sh", "-c"), format="text"),
}
assert set(_FALLBACK_PRESETS) == set(PRESET_NAMES)


def presets() -> dict[str, RunnerSpec]:
    """The built-in runner presets (from agentmake.runners.presets when it exists)."""
    try:
        from agentmake.runners.presets import PRESETS
    except ImportError:
        return dict(_FALLBACK_PRESETS)
    return dict(PRESETS)


def display_name(path: Path) -> str:
    """How a file is named in messages: relative to the working directory when under it (as it is, absolute,
    when there is no working directory: deleted since the shell entered it)."""
    try:
        rel = os.path.relpath(path)
    except (ValueError, OSError):
        return str(path)
    return str(path) if rel.startswith("..") else rel


def _read(path: Path, shown: str, reads: Reads) -> str:
    try:
        return read_recorded(path, reads, "utf-8-sig")  # a BOM is not part of the text
    except FileNotFoundError:
        raise AgentfileError(f"{shown}: no such file") from None
    except UnicodeDecodeError as e:
        raise _not_utf8(e, shown) from None
    except OSError as e:
        raise AgentfileError(f"cannot read {shown}: {e}") from None


def _not_utf8(e: UnicodeDecodeError, shown: str) -> AgentfileError:
    """An Agentfile that is not UTF-8, located at its first bad byte (line and column as the loader counts
    them), with that line (the bad bytes shown as U+FFFD)."""
    data = bytes(e.object)
    before = decode_text(data[: e.start], "utf-8-sig")  # (valid up to the bad byte)
    line = before.count("\n") + 1
    col = len(before) - (before.rfind("\n") + 1) + 1
    rest = data[e.start :].decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
    src = before[before.rfind("\n") + 1 :] + rest.split("\n", 1)[0]
    bad = " ".join(f"0x{b:02x}" for b in data[e.start : e.end])
    what = f"byte {bad} is" if e.end - e.start == 1 else f"bytes {bad} are"
    message = f"the file is not UTF-8 text: {what} not a UTF-8 character"
    return AgentfileError(message, Loc(shown, line, col), ["UTF-8 text"], "save the file as UTF-8", src)


class _Reader:
    """Reads the main Agentfile and its includes lazily, so an include path can use the variables above it."""

    def __init__(self, strict: bool, collected: tf.Collected) -> None:
        self.strict = strict
        self.collected = collected
        self.sources: dict[str, Source] = {}
        self.read: list[Path] = []
        self.later: dict[str, Loc] = {}  # variable -> where it is next assigned
        self.reads: Reads = {}
        self.included: dict[str, Loc] = {}  # real path of each included file -> where it was first included

    def statements(
        self, path: Path, stack: list[Path], site: tuple[Source, Include, str] | None = None
    ) -> Iterator[tuple[Statement, Source]]:
        """`path`'s statements, its includes expanded in place; `site`: the include that names it (the
        including file, the statement, the path as written)."""
        shown = display_name(path)
        text = _read(path, shown, self.reads)
        src = Source(shown, text.split("\n"))  # (as the parser counts lines: splitlines() also splits on \f)
        self.sources[shown] = src
        self.read.append(path)
        parsed = parse_text(text, shown, self.strict)
        if site is not None:
            self._once(path, parsed, site)
        # this file's assignments come before those of the file including it that follow the include: the
        # next assignment of a variable is this file's first one, else the one already noted
        for st in reversed(parsed):
            if isinstance(st, Assign) and st.key not in tf.SETTINGS:
                self.later[st.key] = src.loc(st.line, st.col)
        for st in parsed:
            if not isinstance(st, Include):
                yield st, src
                continue
            if st.keyword != "include":
                raise src.error(
                    f"unknown statement '{st.keyword}'",
                    st.line,
                    st.col,
                    ['include "FILE"', "a `key = value` line"],
                    did_you_mean(st.keyword, ["include"]),
                )
            rel = substitute(st.path, self.collected.variables, src, self.later)
            target = Path(os.path.normpath((path.parent / rel).absolute()))  # (`a/../Agentfile` is a loop)
            real = [os.path.realpath(p) for p in stack]  # (a link to a file or a directory above it: a loop)
            real_target = os.path.realpath(target)
            if target in stack or real_target in real:
                first = stack.index(target) if target in stack else real.index(real_target)
                chain = " -> ".join(display_name(p) for p in [*stack[first:], target])
                said = ["a file not already being included"]
                raise src.error(f"include loop: {chain}", st.path.line, st.path.col, said)
            if len(stack) > MAX_INCLUDE_DEPTH:
                raise src.error(f"includes nested over {MAX_INCLUDE_DEPTH} deep", st.path.line, st.path.col)
            try:
                problem = (
                    None
                    if target.is_file()
                    else "is a directory"
                    if target.is_dir()
                    else "is not a regular file"
                    if target.exists()  # (a device, a FIFO: reading it would never end, or block)
                    else "not found"
                )
            except OSError as e:  # e.g. a name too long for the filesystem
                problem = f"cannot be read: {e.strerror or e}"
            if problem is not None:
                hint = f"include paths are relative to {shown}"
                raise src.error(f"included file '{rel}' {problem}", st.path.line, st.path.col, [], hint)
            yield from self.statements(target, [*stack, target], (src, st, rel))

    def _once(self, path: Path, parsed: list[Statement], site: tuple[Source, Include, str]) -> None:
        """A file included a second time (twice in one file, or through two others) that declares blocks is
        an error at that second include: each of its blocks would be declared again, and the duplicate name
        would be reported at the block itself, as a duplicate of itself. (A file of assignments alone may be
        included again: it assigns them again.)"""
        src, st, rel = site
        real = os.path.realpath(path)
        first = self.included.get(real)
        if first is None:
            self.included[real] = src.loc(st.path.line, st.path.col)
        elif any(isinstance(s, Block) for s in parsed):
            raise src.error(
                f"'{rel}' is already included (at {first}): its blocks would be declared twice",
                st.path.line,
                st.path.col,
                [],
                "include a file once",
            )


def _build_runners(
    blocks: list[tf.RawBlock], runners: dict[str, RunnerSpec], builtin: dict[str, RunnerSpec]
) -> None:
    """Build each runner block into `runners` after the runner it names as `base`, wherever that one is
    declared (a `base` naming its own runner means the preset of that name)."""
    by_name = {b.name: b for b in blocks}
    done: set[str] = set()
    for first in blocks:
        chain: list[tf.RawBlock] = []  # `first`, its base, the base's base...: built last to first
        names: dict[str, int] = {}  # (their names, and where in the chain)
        block: tf.RawBlock | None = first if first.name not in done else None
        while block is not None:  # (a loop, not recursion: a chain of a thousand runners is no traceback)
            names[block.name] = len(chain)
            chain.append(block)
            base = block.fields["base"].one() if "base" in block.fields else None
            if base is None or base == block.name or base not in by_name or base in done:
                break
            if base in names:
                loop = " -> ".join([*(b.name for b in chain[names[base] :]), base])
                raise block.fields["base"].error(f"runners are each other's base: {loop}")
            block = by_name[base]
        for block in reversed(chain):
            runners[block.name] = build_runner(block, runners, builtin)
            done.add(block.name)


def load_agentfile(path: Path, overrides: Mapping[str, str] | None = None, strict: bool = False) -> Agentfile:
    """Parse `path` (and its includes), apply `overrides` (VAR=value from the command line), validate.
    Raises AgentfileError (file:line:col, expected, did you mean) for every mistake. `strict` makes lark check
    the grammar for conflicts and terminal collisions (tests use it; it is slower)."""
    with gc_paused():
        return _load(path, overrides, strict)


def _idle_overrides(
    overrides: Mapping[str, str], assigned: set[str], sources: Mapping[str, Source], texts: Mapping[str, str]
) -> list[str]:
    """A `VAR=value` on the command line that sets no setting and no variable that anything names (a typo:
    `lnag=French` for `lang`): it changes nothing, and the build would go on silently as if it had not been
    given. One warning each, with the names it may have meant."""
    from agentmake.syntax.values import SETTINGS

    idle = [key for key in overrides if key not in SETTINGS and key not in assigned]
    if not idle:
        return []
    text = "\n".join([*("\n".join(src.lines) for src in sources.values()), *texts.values()])
    notes = []
    for key in idle:
        if re.search(rf"(?<![\w.]){re.escape(key)}\b", text):
            continue  # (read by a prompt or a template: a variable given only on the command line)
        hint = did_you_mean(key, sorted(assigned | set(SETTINGS)))
        notes.append(
            f"{key}{_IDLE}: no setting or variable '{key}' in the Agentfile or its prompts"
            f"{'; ' + hint if hint else ''}"
        )
    return notes


_IDLE = "=... on the command line sets nothing"


def idle_override_names(notes: Iterable[str]) -> set[str]:
    """The names of the `VAR=value` words that `_idle_overrides` warned of, from the notes of a load (the
    Agentfile's `notes`): `check_warnings.setting_typos` leaves them to that warning, which says where the
    name came from."""
    return {note.split("=", 1)[0] for note in notes if _IDLE in note}


def _load(path: Path, overrides: Mapping[str, str] | None, strict: bool) -> Agentfile:
    overrides = dict(overrides or {})
    path = Path(path).absolute()
    root = path.parent
    collected = tf.Collected()
    reader = _Reader(strict, collected)
    tf.collect(reader.statements(path, [path]), overrides, collected, reader.later)
    sources, read = reader.sources, reader.read
    settings = build_settings(collected.settings, overrides)
    builtin = presets()
    runners = dict(builtin)
    files = PromptFiles(root, reader.reads)
    agents, reports = {}, {}
    _build_runners([b for b in collected.blocks if b.kind == "runner"], runners, builtin)
    for block in collected.blocks:
        if block.kind == "agent":
            agents[block.name] = build_agent(block, settings, files)
        elif block.kind == "report":
            reports[block.name] = build_report(block, files)
    af = Agentfile(
        path=path,
        root=root,
        settings=settings,
        variables=dict(collected.variables),
        runners=runners,
        agents=agents,
        reports=reports,
        files=tuple(dict.fromkeys([*read, *(root / rel for rel in files.texts)])),
        reads=reader.reads,
        notes=(*collected.notes, *_idle_overrides(overrides, collected.assigned, sources, files.texts)),
        own_values=collected.own,
    )
    Validator(af, sources, {k: f.loc for k, f in collected.settings.items()}).run()
    return af
