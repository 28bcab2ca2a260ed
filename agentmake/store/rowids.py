"""Which row of `tasks` holds a task's record for the Agentfile a command loaded (`RowIds`).

Several Agentfiles in one directory share its state, and each may declare a task of the same name (`review`
in `-f a.Agentfile` and in `-f b.Agentfile`). A record is keyed by its task id, so the two shared a row:
each build replaced the other Agentfile's record (its key, status and the outputs as agentmake wrote them),
and a hand edit the record told from agentmake's output was restored over. Now the first Agentfile to record
a task keeps the plain row (every project with one Agentfile, and every database written before, is as it
was); a task whose plain row another Agentfile still there wrote (`Store.owns`) is recorded in a row of its
own, ``<Agentfile name> U+001F <task id>`` (no task id holds U+001F, nor an Agentfile name a "/"), and each
Agentfile sees its own record under the task's id and never the other's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

SEP = "\x1f"


class RowIds:
    """Task id <-> row id for the Agentfile named `agentfile` (None: a command that names none, which sees
    every plain row). `owns(owner)`: whether a row that Agentfile wrote is this one's (`Store.owns`).
    Read once, on first need (one query on the `agentfile` index: no row in a project of one Agentfile);
    the rows this process writes keep it true (the project lock: no other writer)."""

    def __init__(
        self,
        conn: Callable[[], sqlite3.Connection],
        agentfile: str | None,
        owns: Callable[[str | None], bool],
        has_owners: Callable[[], bool],
    ) -> None:
        self._conn = conn
        self.agentfile = agentfile
        self._owns = owns
        self._has_owners = has_owners
        self._prefix = None if agentfile is None else agentfile + SEP
        self._own_rows: set[str] | None = None  # task ids recorded in a row of this Agentfile's own

    def _load(self) -> set[str]:
        if self._own_rows is None:
            own: set[str] = set()
            if self.agentfile is not None and self._prefix is not None and self._has_owners():
                try:
                    rows = self._conn().execute(
                        "SELECT task_id, agentfile FROM tasks WHERE agentfile IS NOT NULL AND agentfile <> ?",
                        (self.agentfile,),
                    )
                    own.update(t for t, owner in rows if SEP not in t and not self._owns(owner))
                    rows = self._conn().execute(
                        "SELECT task_id FROM tasks WHERE agentfile = ? AND substr(task_id, 1, ?) = ?",
                        (self.agentfile, len(self._prefix), self._prefix),
                    )
                    own.update(t[len(self._prefix) :] for (t,) in rows)
                except sqlite3.OperationalError:  # (an older database opened busy: no `agentfile`)
                    pass
            self._own_rows = own
        return self._own_rows

    def row(self, task_id: str) -> str:
        """The row id of `task_id`'s record for this Agentfile."""
        if self._prefix is not None and task_id in self._load():
            return self._prefix + task_id
        return task_id

    def task(self, row_id: str) -> str | None:
        """The task id whose record for this Agentfile row `row_id` is; None for a row that is another
        Agentfile's record of a task of this one's name (its own row, or the plain row beside this one's)."""
        if SEP in row_id:
            prefix = self._prefix
            return row_id[len(prefix) :] if prefix is not None and row_id.startswith(prefix) else None
        return None if self._prefix is not None and row_id in self._load() else row_id
