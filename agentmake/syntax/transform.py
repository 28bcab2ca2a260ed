"""Parsed statements -> model objects: variables and settings top to bottom, then runner, agent, report specs.

Each block entry is substituted with the variables assigned above it; specs are built once the settings
are final
(so `runner = x` at the bottom still applies to every agent). Cross-block checks live in `validate.py`.
"""

from __future__ import annotations

import errno
import os
import re
import shlex
import stat
import time
from collections import ChainMap
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import xxhash

from agentmake.errors import AgentfileError, Loc, did_you_mean
from agentmake.model import (
    OUTPUT_FORMATS,
    AgentSpec,
    Check,
    Prompt,
    ReportSpec,
    RunnerSpec,
    Settings,
    rests_on,
)
from agentmake.syntax import values as v
from agentmake.syntax.parser import Assign, Block, Statement
from agentmake.syntax.prose import PROMPT_KEYS, may_be_prose, quote_hint, written

SETTINGS = v.SETTINGS
RUNNER_KEYS = (
    "base", "command", "model", "model_flag", "format", "parallel", "retries", "timeout", "env", "url",
)  # fmt: skip
AGENT_KEYS = (
    "description",
    "prompt",
    "run",
    "inputs",
    "outputs",
    "runner",
    "model",
    "check",
    "priority",
    "retries",
    "timeout",
    "estimate",
)
REPORT_KEYS = ("title", "inputs", "output", "merge", "template", "summary", "runner", "model")
BLOCK_KEYS = {"runner": RUNNER_KEYS, "agent": AGENT_KEYS, "report": REPORT_KEYS}


class _Located:
    """Where a field or block starts, and errors located there (for dataclasses with src, line, col)."""

    __slots__ = ()
    src: v.Source
    line: int
    col: int

    @property
    def loc(self) -> Loc:
        return self.src.loc(self.line, self.col)

    def error(
        self, message: str, expected: list[str] | None = None, hint: str | None = None
    ) -> AgentfileError:
        return self.src.error(message, self.line, self.col, expected, hint)


@dataclass(slots=True)
class Field(_Located):
    """One substituted `key = value` line of a block."""

    key: str
    words: list[str]
    bare: bool  # the first item was a bare word (a file path for prompt/merge)
    line: int
    col: int
    line_offset: int  # where a triple-quoted text starts (`values.item_start_line`); 0: on `line`
    src: v.Source
    positions: list[tuple[int, int]] | None = None  # (line, col) of each word, when each item is one word

    def one(self) -> str:
        if len(self.words) != 1:
            raise self.error(f"{self.key} takes one value, not {len(self.words)}", ["one value"])
        return self.words[0]

    def text(self) -> str:
        return " ".join(self.words)


@dataclass
class RawBlock(_Located):
    kind: str
    name: str
    fields: dict[str, Field]
    src: v.Source
    line: int
    col: int
    variables: dict[str, str] = field(default_factory=dict)  # the block's own values of variables


def _unknown_key(
    st: Block,
    entry: Assign,
    keys: tuple[str, ...],
    variables: Mapping[str, str],
    later: Mapping[str, Loc],
    src: v.Source,
) -> AgentfileError:
    """A block key that is neither the block's nor (in an agent or report) a variable assigned above it:
    a misspelt key, or a variable the block may set only once it is assigned at top level."""
    name = entry.key
    if st.kind == "runner":
        hint = did_you_mean(name, keys)
    else:
        hint = did_you_mean(name, [*keys, *variables])
        if hint is None and name in SETTINGS:
            hint = f"'{name}' is a setting: set it at top level"
        elif hint is None and name in later:
            at = v.assigned_at(later[name], src)
            hint = f"variable '{name}' is assigned below ({at}): assign it above the block"
        elif hint is None:
            hint = f"to set a variable here, assign it at top level first: {name} = VALUE"
    return src.error(
        f"unknown key '{name}' in {st.kind} '{st.name}'", entry.line, entry.col, list(keys), hint
    )


def _own_values(
    st: Block, keys: tuple[str, ...], variables: Mapping[str, str], overrides: Mapping[str, str]
) -> dict[str, int]:
    """The variables block `st` sets for itself (those the command line does not override), each with the
    index of its line among the block's."""
    return {
        e.key: i
        for i, e in enumerate(st.entries)
        if e.key not in keys and e.key in variables and e.key not in overrides
    }


def _refuse_use_above(st: Block, index: int, own_at: Mapping[str, int], src: v.Source) -> None:
    """A `${name}` in line `index` of block `st`, above the block's own `name = ...`, is an error: it would
    read the outer value while the rest of the block reads the block's (`outputs = out/${focus}.md` written
    before `focus = "security"` would quietly name the top level's file)."""
    entry = st.entries[index]
    for item in entry.value.items:
        for name, line, col in v.references(item):
            at = own_at.get(name)
            if at is not None and at > index:
                raise src.error(
                    f"'${{{name}}}' is used above the line that sets '{name}' for {st.kind} '{st.name}' "
                    f"(line {st.entries[at].line})",
                    line,
                    col,
                    [],
                    f"move '{name} = ...' above line {entry.line}: a block's lines see only the values set "
                    "above them",
                )


@dataclass
class Collected:
    settings: dict[str, Field] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)
    blocks: list[RawBlock] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # warnings: what loads, but likely is not what was meant
    assigned: set[str] = field(default_factory=set)  # every variable name an assignment names (a block's too)


def collect(
    statements: Iterable[tuple[Statement, v.Source]],
    overrides: Mapping[str, str],
    out: Collected,
    later: dict[str, Loc],
) -> Collected:
    """Walk the statements in order: assign variables and settings (into `out`), substitute block entries.
    `statements` may be lazy (includes are expanded with the variables assigned so far); `later` maps
    variables
    assigned further down to where, for the "assigned later" hint."""
    out.variables.update({k: val for k, val in overrides.items() if k not in SETTINGS})
    seen_names: dict[tuple[str, str], RawBlock] = {}
    above: Block | None = None  # the statement before this one, if a block
    for st, src in statements:
        if isinstance(st, Assign):
            out.assigned.add(st.key)
            fld = _field(st, src, out.variables, later)
            if st.key in SETTINGS:
                if st.key not in overrides:
                    out.settings[st.key] = fld
                    if above is not None:
                        out.notes += _setting_under_block(st, above, src)
            elif st.key not in overrides:
                out.variables[st.key] = fld.text()
            later.pop(st.key, None)
        elif isinstance(st, Block):
            keys = BLOCK_KEYS.get(st.kind)
            if keys is None:
                raise src.error(
                    f"unknown block kind '{st.kind}'",
                    st.line,
                    st.col,
                    ["runner", "agent", "report"],
                    did_you_mean(st.kind, BLOCK_KEYS),
                )
            fields: dict[str, Field] = {}
            local: dict[str, Field] = {}  # variables the block sets for itself
            seen: MutableMapping[str, str] = ChainMap({}, out.variables)  # (what its lines see)
            own_at = {} if st.kind == "runner" else _own_values(st, keys, out.variables, overrides)
            for index, entry in enumerate(st.entries):
                if own_at:
                    _refuse_use_above(st, index, own_at, src)
                own = entry.key in keys
                if not own and (st.kind == "runner" or entry.key not in out.variables):
                    raise _unknown_key(st, entry, keys, out.variables, later, src)
                first = fields.get(entry.key) or local.get(entry.key)
                if first is not None:
                    raise src.error(
                        f"'{entry.key}' is set twice in {st.kind} '{st.name}'",
                        entry.line,
                        entry.col,
                        [],
                        f"first set on line {first.line}",
                    )
                fld = _field(entry, src, seen, later)
                if own:
                    fields[entry.key] = fld
                else:
                    local[entry.key] = fld
                    out.assigned.add(entry.key)
                    if entry.key not in overrides:  # (the command line wins over every assignment)
                        seen[entry.key] = fld.text()
            variables = {k: seen[k] for k in local if k not in overrides}
            block = RawBlock(st.kind, st.name, fields, src, st.line, st.name_col, variables)
            space = "runner" if st.kind == "runner" else "target"
            prev = seen_names.get((space, st.name))
            if prev is not None:
                a = "an" if prev.kind == "agent" else "a"
                raise src.error(
                    f"duplicate name '{st.name}': already {a} {prev.kind} at {prev.loc}",
                    st.line,
                    st.name_col,
                    [],
                    "agent and report names share one namespace" if space == "target" else None,
                )
            seen_names[(space, st.name)] = block
            out.blocks.append(block)
        above = st if isinstance(st, Block) else None
    return out


def _setting_under_block(st: Assign, block: Block, src: v.Source) -> list[str]:
    """A setting that is also a key of `block` (`timeout`, `retries`, `model`, `runner`) written at column 1
    on the line right under the block's lines: almost surely a line of the block that lost its indentation,
    and it silently sets the default of every agent instead. A blank line (or a comment) between them says
    it is meant for the whole file."""
    if st.key not in BLOCK_KEYS.get(block.kind, ()) or st.line < 2 or st.line - 2 >= len(src.lines):
        return []
    text = src.lines[st.line - 2]
    if not text[:1].isspace() or not text.strip() or text.lstrip().startswith("#"):
        return []
    shown = " ".join(src.lines[st.line - 1].split("#", 1)[0].split())
    return [
        f"'{shown}' ({src.name}:{st.line}) sets the {st.key} of every agent that sets none, not only"
        f" {block.kind} {block.name}'s: to set {block.kind} {block.name}'s, indent it as the block's lines;"
        " for every agent, leave a blank line above it or move it above the blocks"
    ]


def _field(st: Assign, src: v.Source, variables: Mapping[str, str], later: Mapping[str, Loc]) -> Field:
    value = st.value
    items = value.items
    if len(items) == 1:  # the common case, one word or string without `${}`: nothing to substitute or split
        item = items[0]
        text = item.text
        if "$" not in text and item.kind != "triple":
            return Field(st.key, [text], item.kind == "word", value.line, value.col, 0, src)
    bare = bool(items) and items[0].kind == "word"
    # (several items: their lines are not the Agentfile's)
    offset = v.item_start_line(items[0]) if len(items) == 1 else 0
    words = v.words(value, variables, src, later)
    positions = [(i.line, i.col) for i in items] if all("$" not in i.text for i in items) else None
    return Field(st.key, words, bare, value.line, value.col, offset, src, positions)


def build_settings(fields: Mapping[str, Field], overrides: Mapping[str, str]) -> Settings:
    """Settings from their assignments, command-line overrides winning."""
    s = Settings()
    cl = v.Source("command line", [])
    for key, raw in overrides.items():
        if key in SETTINGS:
            try:
                s = _setting(s, key, raw.split(), cl, 0, 0)
            except AgentfileError as e:
                raise AgentfileError(f"command line {key}={raw}: {e.message}", None, e.expected) from None
    for key, f in fields.items():
        s = _setting(s, key, f.words, f.src, f.line, f.col)
    return s


def _setting(s: Settings, key: str, words: list[str], src: v.Source, line: int, col: int) -> Settings:
    if key != "default" and len(words) != 1:
        raise src.error(f"{key} takes one value", line, col, ["one value"])
    text = " ".join(words)
    if key == "jobs":
        return replace(s, jobs=v.to_int(text, key, src, line, col, 1))
    if key == "retries":
        return replace(s, retries=v.to_int(text, key, src, line, col, 0))
    if key == "cache_size":
        return replace(s, cache_size_mb=v.to_int(text, key, src, line, col, 0))
    if key == "timeout":
        return replace(s, timeout=v.to_duration(text, key, src, line, col, limit=True))
    if key == "budget":
        return replace(s, budget=v.to_float(text, key, src, line, col))
    if key == "backoff":
        return replace(s, backoff=v.to_duration(text, key, src, line, col))
    if key == "runner":
        return replace(s, runner=text)
    if key == "model":
        return replace(s, model=text)
    return replace(s, default=tuple(words))


def build_runner(
    b: RawBlock, known: Mapping[str, RunnerSpec], presets: Mapping[str, RunnerSpec]
) -> RunnerSpec:
    f = b.fields
    if "base" in f:
        base_name = f["base"].one()
        if base_name not in known:
            raise f["base"].error(
                f"unknown runner '{base_name}'", sorted(known), did_you_mean(base_name, known)
            )
        parent = known[base_name]  # (invoked as the preset it rests on: its login, its config directory)
        spec = replace(parent, name=b.name, base=base_name, preset=rests_on(parent, presets), loc=b.loc)
    elif b.name in presets:
        spec = replace(presets[b.name], loc=b.loc)
    elif "command" not in f:
        raise b.error(
            f"runner '{b.name}' needs a command",
            ['command = "..."', "base = PRESET"],
            f"built-in presets: {', '.join(presets)}",
        )
    else:
        spec = RunnerSpec(name=b.name, command=(), loc=b.loc)
    if "command" in f:
        try:
            argv = tuple(shlex.split(f["command"].text()))
        except ValueError as e:
            raise f["command"].error(f"cannot split the command: {e}") from None
        if not argv:
            raise f["command"].error("the command is empty", ["a command"])
        spec = replace(spec, command=argv)
    if "model" in f:
        spec = replace(spec, model=f["model"].one())
    if "model_flag" in f:
        spec = replace(spec, model_flag=f["model_flag"].one())
    if "format" in f:
        fmt = f["format"].one()
        if fmt not in OUTPUT_FORMATS:
            raise f["format"].error(
                f"unknown output format '{fmt}'", list(OUTPUT_FORMATS), did_you_mean(fmt, OUTPUT_FORMATS)
            )
        spec = replace(spec, format=fmt)
    else:
        spec = replace(spec, format=_implied_format(spec, presets, "command" in f))
    if "parallel" in f:
        spec = replace(spec, parallel=_int(f["parallel"], 1))
    if "retries" in f:
        spec = replace(spec, retries=_int(f["retries"], 0))
    if "timeout" in f:
        spec = replace(spec, timeout=_dur(f["timeout"], limit=True))
    if "env" in f:
        spec = replace(spec, env=tuple(f["env"].words))
    if "url" in f:
        spec = replace(spec, url=_url(f["url"], spec, presets))
    return spec


def _url(f: Field, spec: RunnerSpec, presets: Mapping[str, RunnerSpec]) -> str:
    """An `openai-http` runner's server (`presets.url_problem` says what it may be)."""
    from agentmake.runners.presets import url_problem

    url = f.one()
    if rests_on(spec, presets) != "openai-http":
        raise f.error(
            "`url` is the server of an openai-http runner",
            ["base = openai-http"],
            "other runners take their endpoint from their own variables, passed with `env`",
        )
    problem = url_problem(url)
    if problem is not None:
        raise f.error(f"bad url: {problem}")
    return url


def _implied_format(spec: RunnerSpec, presets: Mapping[str, RunnerSpec], own_command: bool) -> str:
    """The format a runner that sets none reads its CLI's output in: what its command makes the CLI print
    (shared/RUNNERS.md). An `llm` runner told `--json` prints a JSON array of records: read as `llm-json`
    (the answer, and its tokens), not as `text` (the whole record, prompt included, as the output). A
    claude, codex or gemini runner that sets its own command (`own_command`) is read the way that command
    has the CLI print: `claude -p` without `--output-format json|stream-json`, `codex exec` without
    `--json` and `gemini` without `-o json|stream-json` print the answer alone, which read as JSON was a
    failure, and every retry of it was paid for again. A wrapper program keeps its preset's format unless
    its command names an output format."""
    preset, argv = rests_on(spec, presets), spec.command
    if preset == "llm" and spec.format == "text" and "--json" in argv:
        return "llm-json"
    if not own_command or preset not in ("claude", "codex", "gemini"):
        return spec.format
    # a wrapper (`my-claude.sh`, `npx ...`) may add the flags itself: its preset's format stays, unless its
    # own command says what to print
    cli = bool(argv) and os.path.basename(argv[0]) == preset
    if preset == "claude":
        shown = _flag_value(argv, ("--output-format",))
        if shown in ("json", "stream-json"):
            return "claude-json"
        return "text" if cli or shown is not None else spec.format  # (text: claude's default)
    if preset == "codex":
        return "codex-jsonl" if "--json" in argv else "text" if cli else spec.format
    shown = _flag_value(argv, ("-o", "--output-format"))
    if shown in ("json", "stream-json"):
        return "gemini-json"
    return "text" if shown == "text" or (cli and shown is None) else spec.format


def _flag_value(argv: tuple[str, ...], names: tuple[str, ...]) -> str | None:
    """The value the last of `names` is given in `argv` (``--flag value`` or ``--flag=value``), if any."""
    value = None
    for i, word in enumerate(argv):
        name, eq, rest = word.partition("=")
        if name in names:
            value = rest if eq else argv[i + 1] if i + 1 < len(argv) else None
    return value


def _int(f: Field, minimum: int | None = None) -> int:
    return v.to_int(f.one(), f.key, f.src, f.line, f.col, minimum)


def _dur(f: Field, limit: bool = False) -> float:
    return v.to_duration(f.one(), f.key, f.src, f.line, f.col, limit)


def _paths(f: Field) -> tuple[str, ...]:
    """The paths of an `inputs` or `outputs` line; a list separated by commas (`a.md, b.md`, as other tools
    write one) is refused: it would declare a file named `a.md,`."""
    words = f.words
    # (a comma after a quoted path is a word of its own: `"my file.md", b.md`)
    if len(words) > 1 and ("," in words or all(w.endswith(",") for w in words[:-1])):
        paths = [w.rstrip(",") for w in words if w != ","]
        quoted = (w.replace("\\", "\\\\").replace('"', '\\"') for w in paths)
        shown = " ".join(
            f'"{q}"' if re.search(r'[\s"#()=]', w) else w for w, q in zip(paths, quoted, strict=True)
        )
        first = words[0] if words[0].endswith(",") else f"{words[0]},"
        raise f.error(
            f"{f.key} are separated by spaces, not commas: '{first}'", [], f"write {f.key} = {shown}"
        )
    return tuple(_path(w) for w in words)


def _path(word: str) -> str:
    """A declared path without its leading `./` (or `.//`: slashes after a `.` do not make it absolute)."""
    p = word
    while p.startswith("./"):
        p = p[2:].lstrip("/")
    return p


Reads = dict[str, tuple[int, int, int, int, str, int]]


def read_recorded(path: Path, reads: Reads, encoding: str = "utf-8") -> str:
    """`path` as text (universal newlines, like `Path.read_text`), noting in `reads` its stat from just before
    the read, the hash of the bytes read and when (see `Agentfile.reads`). Raises what `read_text` raises."""
    now = time.time_ns()
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):  # a device or a pipe would be read forever, or block
        raise OSError(errno.EINVAL, "not a regular file")
    data = path.read_bytes()
    digest = xxhash.xxh3_128_hexdigest(data)
    reads[str(path)] = (stat.S_IFMT(st.st_mode), st.st_size, st.st_mtime_ns, st.st_ino, digest, now)
    return decode_text(data, encoding)


def decode_text(data: bytes, encoding: str = "utf-8") -> str:
    """A source file's bytes as the loader reads them: decoded, with universal newlines (like `read_text`).
    Raises UnicodeDecodeError."""
    text = data.decode(encoding)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


class PromptFiles:
    """Reads prompt and template files relative to the project root, once each; remembers what it read."""

    def __init__(self, root: Path, reads: Reads | None = None) -> None:
        self.root = root
        self.texts: dict[str, str] = {}
        self.reads: Reads = {} if reads is None else reads

    def read(self, f: Field, what: str) -> tuple[str, str]:
        if f.bare and len(f.words) > 1 and f.key in PROMPT_KEYS:  # (prose written bare, `prompt = Do X`)
            raise f.error(
                f"{f.key} takes one value, not {len(f.words)}: bare words name a {what} file",
                [f"a {what} file", "a quoted prompt"],
                quote_hint(f.key, _as_written(f), what),
            )
        rel = _path(f.one())
        if rel not in self.texts:
            path = self.root / rel
            try:
                # a BOM is not part of the text, as in the Agentfile: else the agent is sent U+FEFF, and
                # an editor adding one on save reruns every task of the prompt
                self.texts[rel] = read_recorded(path, self.reads, "utf-8-sig")
            except FileNotFoundError:
                hint = f"paths are relative to {self.root}"
                if f.key in PROMPT_KEYS and may_be_prose(f.words[0]):
                    hint += f"; {quote_hint(f.key, f.words[0], what)}"
                raise f.error(f"{what} file '{rel}' not found", [], hint) from None
            except (OSError, UnicodeDecodeError) as e:
                raise f.error(f"cannot read {what} file '{rel}': {e}") from None
        return rel, self.texts[rel]

    def _is_file(self, rel: str) -> bool:
        try:
            return (self.root / _path(rel)).is_file()
        except (OSError, ValueError):  # (a text too long for a file name, or with a NUL: no file)
            return False

    def prompt(self, f: Field, what: str) -> Prompt:
        """A prompt (or merge prompt) from its file or inline text; an empty one is an error (an agent would
        be sent, and paid for, nothing)."""
        if f.bare:
            rel, text = self.read(f, what)
            if not text.strip():
                raise f.error(f"{what} file '{rel}' is empty", ["a prompt"])
            no_other_templates(f, what, rel, text)
            return Prompt(text, rel, f.loc)
        text = f.text()
        if not text.strip():
            raise f.error(f"the {what} is empty", ['"a prompt"', "a prompt FILE"])
        if len(f.words) == 1 and not any(c.isspace() for c in text) and self._is_file(text):
            # (a path quoted as other tools want it: the agent would be sent, and paid for, the path alone)
            raise f.error(
                f"the inline {what} '{text}' is the name of a file: a quoted value is the {what}'s text",
                [],
                f"to use the file, write its path unquoted: {f.key} = {text}",
            )
        no_other_templates(f, what, None, text)
        return Prompt(text, None, f.loc, f.line_offset)


_OTHER_TEMPLATE = re.compile(r"\{%[-+]?\s*(include|extends|import|from)\b")
_RAW = re.compile(r"\{%[-+]?\s*raw\s*[-+]?%\}.*?\{%[-+]?\s*endraw\s*[-+]?%\}", re.DOTALL)


def _as_written(f: Field) -> str:
    """The value of `f` as its line writes it (`prose.written`), else its words joined by spaces."""
    line = f.src.lines[f.line - 1] if 0 < f.line <= len(f.src.lines) else ""
    return written(line, f.col) or f.text()


def no_other_templates(f: Field, what: str, rel: str | None, text: str) -> None:
    """Refuse a template that would load another one: the other file would not be part of the task's key (an
    edit to it would leave the result stale), and no loader is configured (it failed at build time)."""
    if "{%" not in text:
        return
    bare = _RAW.sub(lambda r: "\n" * r.group().count("\n"), text)  # (literal text: a prompt about Jinja)
    m = _OTHER_TEMPLATE.search(bare)
    if m is not None:
        from agentmake.templates import other_templates, tag_error

        # what looks like one may be text (in a comment, a string): Jinja's syntax tree tells (a text
        # that does not parse keeps the first look's verdict)
        tags = other_templates(text)
        if tags == []:
            return
        tag, line = tags[0] if tags else (m.group(1), bare.count("\n", 0, m.start()) + 1)
        # located at the tag (the prompt's line, or an inline prompt's Agentfile line), said once
        prompt = Prompt(text, rel, f.loc, 0 if rel else f.line_offset)
        said = f"{{% {tag} %}} is not supported"
        err = tag_error(prompt, f"report template: {said}" if what == "template" else said, line, tag)
        err.hint = (
            "a template cannot use another file: put shared text in a variable, or make the file an input "
            "(a prompt reads it with {{ read('FILE') }})"
        )
        raise err


def build_agent(b: RawBlock, settings: Settings, files: PromptFiles) -> AgentSpec:
    f = b.fields
    if ("prompt" in f) == ("run" in f):
        which = "both `prompt` and `run`" if "prompt" in f else "neither `prompt` nor `run`"
        raise b.error(
            f"agent '{b.name}' has {which}; it needs exactly one",
            ['prompt = FILE or "..."', "run = COMMAND"],
        )
    outputs = _paths(f["outputs"]) if "outputs" in f else ()
    if not outputs:
        raise (f["outputs"].error if "outputs" in f else b.error)(
            f"agent '{b.name}' declares no outputs", ["outputs = FILE..."]
        )
    prompt = files.prompt(f["prompt"], "prompt") if "prompt" in f else None
    run = f["run"].text() if "run" in f else None
    if run is not None:
        if not run.strip():
            raise f["run"].error("the command is empty", ["a command"])
        if "runner" in f and f["runner"].one() != "shell":
            raise f["runner"].error(
                "an agent with `run` always uses the shell runner",
                ["shell"],
                "remove `runner`, or use `prompt` instead of `run`",
            )
        runner = "shell"
    else:
        runner = f["runner"].one() if "runner" in f else settings.runner
    check = None
    if "check" in f:
        text = f["check"].text()
        if not text:
            raise f["check"].error("check needs a value", ["json", "a command"])
        check = Check("json") if f["check"].bare and text == "json" else Check("command", text)
    return AgentSpec(
        name=b.name,
        inputs=_paths(f["inputs"]) if "inputs" in f else (),
        outputs=outputs,
        prompt=prompt,
        run=run,
        runner=runner,
        model=f["model"].one() if "model" in f else None,
        check=check,
        description=f["description"].text() if "description" in f else None,
        priority=_int(f["priority"]) if "priority" in f else 0,
        retries=_int(f["retries"], 0) if "retries" in f else None,
        timeout=_dur(f["timeout"], limit=True) if "timeout" in f else None,
        estimate=_dur(f["estimate"]) if "estimate" in f else None,
        variables=tuple(b.variables.items()),
        loc=b.loc,
        key_locs=_key_locs(f),
    )


def build_report(b: RawBlock, files: PromptFiles) -> ReportSpec:
    f = b.fields
    if "output" not in f:
        raise b.error(f"report '{b.name}' declares no output", ["output = FILE"])
    if "merge" in f and "template" in f:
        raise f["template"].error("a report has either `merge` or `template`, not both")
    if "merge" not in f:  # (as `runner` on an agent with `run`: a setting that would be silently ignored)
        for key in ("runner", "model"):
            if key in f:
                raise f[key].error(
                    f"`{key}` applies to a report's `merge` agent, and report '{b.name}' has no `merge`",
                    [],
                    f"remove `{key}` (a built-in or template report calls no agent), or add `merge = PROMPT`",
                )
    template = None
    if "template" in f:
        template, text = files.read(f["template"], "template")
        no_other_templates(f["template"], "template", template, text)
    summary = True
    if "summary" in f:
        summary = v.to_bool(f["summary"].one(), "summary", b.src, f["summary"].line, f["summary"].col)
    return ReportSpec(
        name=b.name,
        inputs=_paths(f["inputs"]) if "inputs" in f else (),
        output=_path(f["output"].one()),
        title=f["title"].text() if "title" in f else None,
        merge=files.prompt(f["merge"], "merge prompt") if "merge" in f else None,
        template=template,
        summary=summary,
        runner=f["runner"].one() if "runner" in f else None,
        model=f["model"].one() if "model" in f else None,
        variables=tuple(b.variables.items()),
        loc=b.loc,
        key_locs=_key_locs(f),
    )


def _key_locs(fields: Mapping[str, Field]) -> dict[str, Loc]:
    """Where each key's value starts and, for a list of paths, where each path is (``inputs:PATH``), so that
    an error about its third input points at the third input."""
    locs = {k: fl.loc for k, fl in fields.items()}
    for key in ("inputs", "outputs"):
        fl = fields.get(key)
        if fl is not None and fl.positions is not None and len(fl.positions) == len(fl.words) > 1:
            for word, (line, col) in zip(fl.words, fl.positions, strict=True):
                locs.setdefault(f"{key}:{_path(word)}", Loc(fl.src.name, line, col))
    return locs
