"""Parsed statements -> variables, settings and raw blocks, top to bottom (the first step after parsing).

Each block entry is substituted with the variables assigned above it, and checked against its block's keys;
`specs.py` turns the settings and raw blocks into model objects once the settings are final (so
`runner = x` at the bottom still applies to every agent). Cross-block checks live in `validate.py`.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field

from agentmake.errors import AgentfileError, Loc, did_you_mean
from agentmake.syntax import values as v
from agentmake.syntax.statements import Assign, Block, Statement

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
    """An agent, runner or report block as written: its kind, name and fields."""

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
    """An Agentfile's statements, gathered: settings, variables, blocks and notes."""

    settings: dict[str, Field] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)
    blocks: list[RawBlock] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # warnings: what loads, but likely is not what was meant
    assigned: set[str] = field(default_factory=set)  # every variable name an assignment names (a block's too)
    # of each variable the command line sets, the value the Agentfile's own assignments give it: one value
    # alike at every top-level assignment, else None (several values, or a block sets it: none of its own)
    own: dict[str, str | None] = field(default_factory=dict)


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
            else:
                text = fld.text()
                out.own[st.key] = text if out.own.get(st.key, text) == text else None
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
            # (what its lines see: the variables above, and those the block sets for itself, if it sets any;
            # a block of its own keys only reads the variables as they are, not through a ChainMap)
            sets = any(e.key not in keys for e in st.entries)
            seen: MutableMapping[str, str] = ChainMap({}, out.variables) if sets else out.variables
            # (a block that sets no variable has none of its own to read above where it sets it)
            own_at = _own_values(st, keys, out.variables, overrides) if sets and st.kind != "runner" else {}
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
                        [f"each key once per block (one `{entry.key} = ...` line, several values on it)"],
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
                    else:
                        out.own[entry.key] = None
            variables = {k: seen[k] for k in local if k not in overrides}
            block = RawBlock(st.kind, st.name, fields, src, st.line, st.name_col, variables)
            space = "runner" if st.kind == "runner" else "target"
            prev = seen_names.get((space, st.name))
            if prev is not None:
                a = "an" if prev.kind == "agent" else "a"
                this = "an" if st.kind == "agent" else "a"
                shared = "agent and report names share one namespace: " if space == "target" else ""
                raise src.error(
                    f"duplicate name '{st.name}': already {a} {prev.kind} at {prev.loc}",
                    st.line,
                    st.name_col,
                    [f"{this} {st.kind} name not used above"],
                    f"{shared}rename one of the two",
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
