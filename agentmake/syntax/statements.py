"""The raw statements an Agentfile's text parses into: small named tuples, each with its line and column (no
tree). `transform.py` and `specs.py` give them their meaning.
"""

from __future__ import annotations

from typing import NamedTuple


class Item(NamedTuple):
    """One value item: `kind` is "word", "string" or "triple"; `text` is unquoted (not yet
    `${}`-substituted)."""

    kind: str
    text: str
    line: int
    col: int
    end_line: int


class Value(NamedTuple):
    items: tuple[Item, ...]
    is_list: bool
    line: int
    col: int


class Assign(NamedTuple):
    key: str
    value: Value
    line: int
    col: int


class Include(NamedTuple):
    keyword: str
    path: Item
    line: int
    col: int


class Block(NamedTuple):
    kind: str
    name: str
    entries: tuple[Assign, ...]
    line: int
    col: int
    name_col: int


Statement = Assign | Include | Block
