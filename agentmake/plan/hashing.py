"""Content hashing with a stat cache (contract stub: to be implemented)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from agentmake.store import Store


class Hasher:
    """xxh3-128 hex digests of project files, re-hashing only files whose stat changed (racily-clean aware)."""

    def __init__(self, root: Path, store: Store | None) -> None:
        raise NotImplementedError

    def file_hash(self, path: str) -> str | None:
        """Hash of a project-relative file, None if it does not exist."""
        raise NotImplementedError

    def file_hashes(self, paths: Iterable[str]) -> dict[str, str | None]:
        raise NotImplementedError

    def note_written(self, path: str, digest: str) -> None:
        """agentmake just wrote `path` with content hash `digest` (no need to re-read it)."""
        raise NotImplementedError

    def forget(self, path: str) -> None:
        """Drop what is known about `path` (e.g. watch saw it change)."""
        raise NotImplementedError

    def flush(self) -> None:
        """Persist new stat records to the store."""
        raise NotImplementedError


def hash_bytes(data: bytes) -> str:
    raise NotImplementedError
