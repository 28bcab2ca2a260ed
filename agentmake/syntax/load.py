"""Load and validate an Agentfile (contract stub: to be implemented)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from agentmake.model import Agentfile


def load_agentfile(path: Path, overrides: Mapping[str, str] | None = None) -> Agentfile:
    """Parse `path` (and its includes), apply `overrides` (VAR=value from the command line), validate.
    Raises AgentfileError (file:line:col, expected, did you mean) for every mistake."""
    raise NotImplementedError
