"""Everything agentmake remembers, under `.agentmake/`: the only code that touches the state database.

Contract: `Store` (SQLite state, stat cache, history, running processes, error log), its content-addressed
result cache, and the project lock. See `store/schema.py` for the on-disk format.

The names are imported on first use, so a module that needs only the records (`store.records`: plain
dataclasses) does not load SQLite.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentmake.lazy import lazy_names

if TYPE_CHECKING:
    from agentmake.store.db import Store
    from agentmake.store.lock import LockedError
    from agentmake.store.records import AttemptRecord, FileRecord, TaskRecord

__all__ = ["AttemptRecord", "FileRecord", "LockedError", "Store", "TaskRecord"]


__getattr__ = lazy_names(
    __name__,
    {
        "AttemptRecord": "agentmake.store.records",
        "FileRecord": "agentmake.store.records",
        "TaskRecord": "agentmake.store.records",
        "LockedError": "agentmake.store.lock",
        "Store": "agentmake.store.db",
    },
)
