"""The texts of agent CLIs' config files, read as their CLIs read them (`runners.modelconfig`): JSON, with
``//`` and ``/* */`` comments where the CLI strips them (gemini's settings), and TOML (codex's config.toml).

On Python 3.10 (no `tomllib`, and `tomli` is no dependency) a TOML text is read by `toml_strings`: the
plain ``key = "string"`` lines of the top level, of ``[profiles.NAME]`` tables and of ``[projects."<path>"]``
tables (a project's ``trust_level``, as codex writes it), which is how codex's own docs write ``model`` and
``profile``; a file it cannot read so names no model.
"""

from __future__ import annotations

import json
import re
from typing import Any

from agentmake.lazyre import LazyPattern

__all__ = ["json_object", "toml_strings", "toml_table"]

_JSON_COMMENT = LazyPattern(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/', re.DOTALL)


def json_object(data: bytes, *, comments: bool = False) -> dict[str, Any]:
    text = data.decode("utf-8")
    if comments:  # (``//`` and ``/* */`` outside strings)
        text = _JSON_COMMENT.sub(lambda m: m.group(0) if m.group(0).startswith('"') else "", text)
    value = json.loads(text)
    return value if isinstance(value, dict) else {}


def toml_table(data: bytes) -> dict[str, Any]:
    text = data.decode("utf-8")
    try:
        import tomllib
    except ImportError:  # (Python 3.10)
        return toml_strings(text)
    return tomllib.loads(text)


_TABLE = LazyPattern(r"\s*\[\s*([A-Za-z0-9_.\"' -]+?)\s*\]\s*(?:#.*)?$")
_PROJECT = LazyPattern(r"""\s*\[\s*projects\s*\.\s*(?:"([^"\\]*)"|'([^']*)')\s*\]\s*(?:#.*)?$""")
_STRING = LazyPattern(r"""\s*([A-Za-z0-9_-]+)\s*=\s*(?:"([^"\\]*)"|'([^']*)')\s*(?:#.*)?$""")


def toml_strings(text: str) -> dict[str, Any]:
    """The plain string keys of the top level, of each ``[profiles.NAME]`` and ``[projects."<path>"]`` table
    (``projects``, by path) of a TOML text (Python
    3.10's reading of codex's config.toml): ``model = "o3"`` / ``[profiles.fast]`` ``model = 'o4-mini'``
    give ``{"model": "o3", "profiles": {"fast": {"model": "o4-mini"}}}``. Other tables, arrays and values
    are skipped. A line that is neither, inside a table, ends nothing: TOML keys are unique per table."""
    top: dict[str, Any] = {}
    profiles: dict[str, dict[str, str]] = {}
    projects: dict[str, dict[str, str]] = {}
    table: dict[str, Any] | None = top
    for line in text.splitlines():
        if line.lstrip().startswith("["):  # (a table's header, or an array of tables': `[[...]]`)
            project = _PROJECT.match(line)
            if project is not None:  # (its path quoted, as codex writes it)
                table = projects.setdefault(project.group(1) or project.group(2) or "", {})
                continue
            header = _TABLE.match(line)
            name = "" if header is None else header.group(1).replace('"', "").replace("'", "")
            table = profiles.setdefault(name[9:], {}) if name.startswith("profiles.") else None
            continue
        pair = _STRING.match(line)
        if pair is not None and table is not None:
            table.setdefault(pair.group(1), pair.group(2) if pair.group(2) is not None else pair.group(3))
    if profiles:
        top["profiles"] = profiles
    if projects:
        top["projects"] = projects
    return top
