"""Which Agentfile's records are whose, where several Agentfiles share a directory's state (`owns`,
`claim`), the outputs the other Agentfiles' records list (`others_outputs`), which configuration (the
variables a command line set: `lang=fr`) wrote a record (`configuration`, `this_config`), and the outputs a
task's record no longer lists (`strays`, for `clean --leftovers`). A base of `db.Store`, which owns the
connection, the lock and the transactions.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentmake.store.busy import StateBusy
from agentmake.store.records import FIGURES
from agentmake.store.rowids import SEP, RowIds
from agentmake.store.schema import column_names


def configuration(variables: Mapping[str, str]) -> str:
    """The configuration of a build, as the state files its records under: the variables its command line
    set (`lang=fr`; not the settings, `jobs=8`, which the caller leaves out), each name with a digest of its
    value (a value given there may be a secret: it is not stored as it is), in one canonical text; "" for
    none (most builds). One Agentfile built under two configurations makes each one's outputs, whose paths
    may differ (`build/${lang}/`): neither's are the other's leftovers (`Owners.this_config`)."""
    if not variables:
        return ""
    import xxhash

    digests = {name: xxhash.xxh3_64_hexdigest(value.encode()) for name, value in variables.items()}
    return json.dumps(digests, sort_keys=True, separators=(",", ":"))


def set_otherwise(one: str, other: str) -> list[str]:
    """The names of the variables two configurations (`configuration`) set otherwise: given in one alone, or
    given other values (their digests tell that much, not the values), sorted."""
    first, second = _variables(one), _variables(other)
    return sorted(n for n in first.keys() | second.keys() if first.get(n) != second.get(n))


def _variables(config: str) -> dict[str, str]:
    """A configuration's variables, name -> digest of its value ({} for "", or a text not of one)."""
    try:
        found = json.loads(config) if config else {}
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


# (task id, key) -> path -> digest of the outputs a superseded record listed, and key -> what making them took
# and cost, as that record said (`Owners.made_before`, `made_before_figures`)
MadeBefore = tuple[dict[tuple[str, str], dict[str, str]], dict[str, dict[str, Any]]]


_SORTED_JSON = json.JSONEncoder(sort_keys=True).encode


class Owners:
    """Ownership of task records and strays by the Agentfile that wrote them (the `agentfile` column), and
    by the configuration it was built under (the `config` column)."""

    root: Path
    agentfile: str | None
    # this command's configuration (`configuration`), None if not told (a command that writes no record and
    # judges no leftover: then every record is this configuration's, as before records named theirs)
    config: str | None
    _config_cols: bool | None
    _stray_cols: set[str] | None
    _made_before: MadeBefore | None
    _otherwise: tuple[str, dict[str, str]] | None
    _conn: sqlite3.Connection
    _lock: threading.RLock
    _rows: RowIds
    _owners: dict[str, bool]
    _others: list[str] | None
    _owner_cols: bool | None
    _any_strays: bool | None

    if TYPE_CHECKING:  # provided by `db.Store` and its other bases

        def _tx(self) -> AbstractContextManager[None]: ...
        @property
        def locked(self) -> bool: ...
        def _row_absent(self, task_id: str) -> bool: ...

    def _other_owners(self) -> list[str]:
        """The Agentfiles other than this one, still there, whose builds wrote task records (`owns`): a few
        names, read from the index on the column (not the rows), once: a build writes only its own."""
        if self.agentfile is None or not self._has_owners():
            return []
        if self._others is None:
            with self._lock:
                names = [r[0] for r in self._conn.execute("SELECT DISTINCT agentfile FROM tasks")]
            self._others = [name for name in names if name is not None and not self.owns(name)]
        return self._others

    def others_outputs(self) -> dict[str, tuple[str, str, str, str]]:
        """Path -> (Agentfile, task id, content hash as its build wrote it, the record's key) of each output
        that a record of
        another Agentfile still there (`_other_owners`) lists: outputs two Agentfiles sharing the directory
        may both declare (`plan.shared`). Nothing is read in a directory of one Agentfile."""
        others = self._other_owners()
        if not others:
            return {}
        marks = ", ".join("?" * len(others))
        sql = "SELECT task_id, agentfile, outputs, key FROM tasks WHERE agentfile IN"
        sql += f" ({marks}) ORDER BY agentfile"
        with self._lock:
            rows = self._conn.execute(sql, others).fetchall()
        found: dict[str, tuple[str, str, str, str]] = {}
        for row_id, owner, outputs, key in rows:
            # (a task of the same name as one of this Agentfile's has a row of its own: `RowIds`)
            task_id = row_id.removeprefix(owner + SEP)
            for path, digest in json.loads(outputs).items():
                found.setdefault(path, (owner, task_id, digest, key or ""))
        return found

    def owns(self, owner: str | None) -> bool:
        """Whether a record (or stray) that the Agentfile named `owner` wrote is this Agentfile's. Several
        Agentfiles in one directory share its state (one lock, one cache: a result paid for once is
        restored by any of them), but a task of another is not "no longer in the graph" of this one. A
        record is anyone's if written before records named their Agentfile (`owner` None: a build of its
        Agentfile claims it, `claim`) or by an Agentfile that is no longer there (renamed, deleted)."""
        if owner is None or self.agentfile is None or owner == self.agentfile:
            return True
        there = self._owners.get(owner)
        if there is None:
            # (a name only: never a path elsewhere, whatever a planted state.db holds)
            there = self._owners[owner] = "/" not in owner and (self.root / owner).is_file()
        return not there

    def claim(self, task_ids: Iterable[str]) -> None:
        """File as this Agentfile's the records of `task_ids` (its graph's tasks) that are anyone's (`owns`):
        written before records named their Agentfile, or by one renamed since. A build does this as it
        starts, so that after each Agentfile sharing a directory has been built once, none takes another's
        tasks for leftovers. Writes only when there is one to claim."""
        if self.agentfile is None or not self.locked or not self._has_owners():
            return
        with self._lock:
            names = [r[0] for r in self._conn.execute("SELECT DISTINCT agentfile FROM tasks")]
            anyones = [name for name in names if name != self.agentfile and self.owns(name)]
            if not anyones:  # (most builds: every record is this Agentfile's, or another's still there)
                return
            gone = [name for name in anyones if name is not None]  # (Agentfiles renamed or deleted)
            sql = "SELECT task_id, agentfile FROM tasks WHERE agentfile IS NULL"
            sql += f" OR agentfile IN ({', '.join('?' * len(gone))})" if gone else ""
            rows = self._conn.execute(sql, gone).fetchall()
        ids = set(task_ids)
        mine = [(self.agentfile, t) for t, owner in rows if t in ids and self.owns(owner)]
        if mine:
            with contextlib.suppress(StateBusy), self._tx():  # (claimed by the next build, if busy now)
                self._conn.executemany("UPDATE tasks SET agentfile = ? WHERE task_id = ?", mine)

    def _has_owners(self) -> bool:
        """Whether `tasks` and `strays` have the `agentfile` column (an old database opened busy or read-only
        may not: then every record is anyone's)."""
        if self._owner_cols is None:
            self._owner_cols = self._in_both("agentfile")
        return self._owner_cols

    def _has_configs(self) -> bool:
        """Whether `tasks` and `strays` have the `config` column (an old database opened busy or read-only
        may not: then every record is every configuration's)."""
        if self._config_cols is None:
            self._config_cols = self._in_both("config")
        return self._config_cols

    def _in_both(self, column: str) -> bool:
        """Whether `tasks` and `strays` both have `column`."""
        with self._lock:
            return all(column in column_names(self._conn, table) for table in ("tasks", "strays"))

    def _has_stray_column(self, name: str) -> bool:
        """Whether `strays` has column `name` (`key`, `made`: an old database opened busy may not)."""
        if self._stray_cols is None:
            with self._lock:
                self._stray_cols = column_names(self._conn, "strays")
        return name in self._stray_cols

    def made_before(self, task_id: str, key: str) -> dict[str, str]:
        """Path -> content hash of the outputs that `task_id`'s record listed when it had `key`, and a newer
        record of it no longer lists (strays: a build under other variables made it elsewhere since, or the
        Agentfile renamed them), whether or not the files are still there: of this Agentfile (`owns`), of any
        configuration. Going back to `lang=es` after `lang=fr`, a task whose key is its `lang=es` one again
        finds there what it made, even with that result's cache entry trimmed since, whatever their modes
        now (a chmod is no edit, as for a record still its own: tests/test_configs25_made_before_modes.py).
        Empty for none. Every stray is read at the first call, once (a build asks of each task whose result
        is not cached)."""
        return dict(self._made_before_now()[0].get((task_id, key), {}))

    def made_before_figures(self, key: str) -> dict[str, Any] | None:
        """What making the outputs a superseded record listed under `key` took and cost (`records.
        made_figures` of that record, written with its strays), None if not known (none, or strays written
        before they kept it): what a build that takes them as built again (`made_before`) keeps in its record,
        with that result's cache entry gone (`Results.cache_made`), and `status` shows."""
        figures = self._made_before_now()[1].get(key)
        return dict(figures) if figures is not None else None

    def _made_before_now(self) -> MadeBefore:
        """What the strays say of superseded records (`made_before`, `made_before_figures`): read at the first
        call, once, and again after a write of strays."""
        with self._lock:
            if self._made_before is None:
                self._made_before = self._read_made_before()
            return self._made_before

    def _read_made_before(self) -> MadeBefore:
        paths: dict[tuple[str, str], dict[str, str]] = {}
        figures: dict[str, dict[str, Any]] = {}
        if not self._any_strays_now() or not self._has_stray_column("key"):
            return paths, figures
        owner = "agentfile" if self._has_owners() else "NULL"
        made = "made" if self._has_stray_column("made") else "NULL"
        sql = f"SELECT path, hash, task_id, key, {owner}, {made} FROM strays WHERE key IS NOT NULL"
        try:
            rows = self._conn.execute(sql).fetchall()
        except sqlite3.OperationalError:  # (an older database opened read-only)
            return paths, figures
        for path, digest, task_id, key, owner, made_json in rows:
            if self.owns(owner):
                paths.setdefault((task_id, key), {})[path] = digest
                if made_json and key not in figures:
                    with contextlib.suppress(ValueError):
                        found = json.loads(made_json)
                        if isinstance(found, dict):
                            figures[key] = found
        return paths, figures

    def _any_strays_now(self) -> bool:
        """Whether `strays` has a row (read once; a write of this process keeps it current)."""
        if self._any_strays is None:
            try:
                self._any_strays = self._conn.execute("SELECT 1 FROM strays LIMIT 1").fetchone() is not None
            except sqlite3.OperationalError:
                self._any_strays = False
        return self._any_strays

    def this_config(self, config: str | None) -> bool:
        """Whether a record (or stray) written under `config` is of this command's configuration: the same
        variables set alike on the command line, or either unknown (a row written before rows named theirs,
        a command not told). Of these alone may a build say that an output is left over: `build/es/x.md`,
        made by a build with `lang=es`, is no leftover of one with `lang=fr`, which makes `build/fr/x.md`
        instead; nor is a task that only `lang=es`'s graph has "no longer in the graph" of `lang=fr`'s.
        Judged by a build of their own configuration, they are leftovers if it no longer makes them."""
        return config is None or self.config is None or config == self.config

    def built_otherwise(self, task_id: str) -> list[str] | None:
        """Of a task whose record (`task_record`) was written by a build of another configuration than this
        command's (`this_config`): the variables that build's command line set otherwise (`set_otherwise`:
        `["lang"]` of a `lang=es` record for `status lang=fr`). None for a record of this configuration, of
        one unknown (a row written before rows named theirs, a command not told), or no record. The rows of
        other configurations are read at the first call, once (in most projects: none)."""
        if self.config is None:
            return None
        with self._lock:
            if self._otherwise is None or self._otherwise[0] != self.config:
                self._otherwise = (self.config, self._read_otherwise(self.config))
            config = self._otherwise[1].get(task_id)
        return None if config is None else set_otherwise(config, self.config)

    def _read_otherwise(self, config: str) -> dict[str, str]:
        if not self._has_configs():
            return {}
        sql = "SELECT task_id, config FROM tasks WHERE config IS NOT NULL AND config <> ?"
        try:
            rows = self._conn.execute(sql, (config,)).fetchall()
        except sqlite3.OperationalError:  # (an older database opened read-only)
            return {}
        task = self._rows.task
        return {t: c for row_id, c in rows if (t := task(row_id)) is not None}

    def _note_strays(self, task_id: str, outputs: dict[str, str], outputs_json: str) -> None:
        """In the transaction that rewrites `task_id`'s row with `outputs`: the outputs its row lists and
        `outputs` does not (renamed in the Agentfile: the files agentmake wrote there stay) go into `strays`,
        and those `outputs` lists come out of it (made by a task again). Bookkeeping for `clean --leftovers`:
        a database without the table (an older one opened busy) records the task all the same. A stray is
        filed under the configuration of the row that listed it (`this_config`): the output of a build with
        other variables, not one renamed in the Agentfile, when that differs from this one's."""
        self._otherwise = None  # (a record rewritten: read again when next asked)
        with contextlib.suppress(sqlite3.OperationalError):
            owned = self._has_owners()
            configs = owned and self._has_configs()
            row = None
            if not self._row_absent(task_id):  # (a task never recorded: no row to read, no query)
                cols = f"outputs, {'agentfile' if owned else 'NULL'}, {'config' if configs else 'NULL'}"
                # (the key its outputs were made under; not a partial report's: `plan.partial`)
                cols += ", CASE WHEN status = 'partial' OR key = '' THEN NULL ELSE key END"
                cols += ", " + ", ".join(FIGURES)  # (`records.made_figures`)
                sql = f"SELECT {cols} FROM tasks WHERE task_id = ?"
                row = self._conn.execute(sql, (self._rows.row(task_id),)).fetchone()
            # (a row another Agentfile's task of the same name wrote: its outputs are that one's, not renamed)
            if row is not None and row[0] != outputs_json and self.owns(row[1]):
                gone = [(p, task_id, h) for p, h in json.loads(row[0]).items() if p not in outputs]
                if gone:
                    # (each column the table has: an older database, opened busy, may lack the later ones)
                    columns = ["path", "task_id", "hash"]
                    more: list[str | None] = []
                    if owned:
                        columns.append("agentfile")
                        more.append(self.agentfile)
                    if configs:
                        columns.append("config")
                        more.append(row[2])
                        if self._has_stray_column("key"):
                            columns.append("key")
                            more.append(row[3])
                        if row[3] is not None and self._has_stray_column("made"):
                            columns.append("made")  # (what making them took and cost, as that record says)
                            more.append(_SORTED_JSON(dict(zip(FIGURES, row[4:], strict=True))))
                    marks = ", ".join("?" * len(columns))
                    sql = f"INSERT OR REPLACE INTO strays ({', '.join(columns)}) VALUES ({marks})"
                    self._conn.executemany(sql, [(*g, *more) for g in gone])
                    self._any_strays = True
                    self._made_before = None  # (read again when next asked)
            if outputs and self._any_strays_now():  # (read once: the table is empty in most projects)
                self._conn.executemany("DELETE FROM strays WHERE path = ?", [(p,) for p in outputs])
                self._made_before = None

    def strays(self) -> dict[str, tuple[str, str]]:
        """Path -> (task id, content hash as agentmake wrote it) of every output a task's record no longer
        lists (see `_note_strays`), whether or not the file is still there: this Agentfile's (`owns`), of
        this configuration (`this_config`)."""
        with self._lock:
            try:
                owner = "agentfile" if self._has_owners() else "NULL"
                config = "config" if self._has_configs() else "NULL"
                sql = f"SELECT path, task_id, hash, {owner}, {config} FROM strays"
                rows = self._conn.execute(sql).fetchall()
            except sqlite3.OperationalError:  # an old database opened read-only: no such table
                return {}
        return {
            path: (task_id, digest)
            for path, task_id, digest, owner, config in rows
            if self.owns(owner) and self.this_config(config)
        }

    def strays_otherwise(self) -> dict[str, tuple[str, list[str]]]:
        """Path -> (task id, the variables set otherwise: `set_otherwise`) of each stray (`strays`) of this
        Agentfile that a record of another configuration than this command's listed (`this_config`): what
        only a `clean --leftovers` under that configuration judges. Empty when not told this one."""
        if self.config is None or not self._has_configs():
            return {}
        owner = "agentfile" if self._has_owners() else "NULL"
        sql = f"SELECT path, task_id, {owner}, config FROM strays WHERE config IS NOT NULL AND config <> ?"
        with self._lock:
            try:
                rows = self._conn.execute(sql, (self.config,)).fetchall()
            except sqlite3.OperationalError:  # an old database opened read-only: no such table
                return {}
        return {
            path: (task_id, set_otherwise(config, self.config))
            for path, task_id, owner, config in rows
            if self.owns(owner)
        }

    def forget_strays(self, paths: Iterable[str]) -> None:
        """Delete `paths` from the strays (`clean --leftovers` removed them, or they are gone)."""
        with self._tx():
            self._conn.executemany("DELETE FROM strays WHERE path = ?", [(p,) for p in paths])
        self._made_before = None
