"""Everything agentmake remembers, under `.agentmake/`: the only code that touches the state database.

Contract: `Store` (SQLite state, stat cache, history, running processes, error log), its content-addressed
result cache, and the project lock. See `store/schema.py` for the on-disk format.
"""

from agentmake.store.db import AttemptRecord, FileRecord, LockedError, Store, TaskRecord

__all__ = ["AttemptRecord", "FileRecord", "LockedError", "Store", "TaskRecord"]
