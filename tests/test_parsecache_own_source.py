"""The parse cache's key covers parsecache.py itself (how it keys, writes and reads an entry), not only the
grammar and the modules that build the statements: a change to its format must not read an entry the old
code wrote. Its source is not read at each start: its digest is kept in the module (`_OWN_SOURCE`), which
this test checks against the source."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import xxhash

from agentmake.syntax import parsecache
from agentmake.syntax.statements import Assign

TEXT = "jobs = 2\n"
_DIGEST_LINE = re.compile(r'^_OWN_SOURCE = "[0-9a-f]*"$', re.MULTILINE)


def test_the_kept_digest_is_the_digest_of_parsecache_source() -> None:
    source = Path(parsecache.__file__).read_text(encoding="utf-8")
    assert len(_DIGEST_LINE.findall(source)) == 1, "parsecache.py assigns _OWN_SOURCE once, on one line"
    digest = xxhash.xxh3_128(_DIGEST_LINE.sub('_OWN_SOURCE = ""', source).encode("utf-8")).hexdigest()
    assert digest == parsecache._OWN_SOURCE, (
        f'parsecache.py changed: set _OWN_SOURCE = "{digest}" (an entry its old code wrote is then not read)'
    )


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path


def test_an_entry_written_by_another_parsecache_is_not_read(
    cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentmake.syntax.parser import parse_text

    statements = parse_text(TEXT, "Agentfile")
    parsecache.store(TEXT, statements, warm=False)
    assert parsecache.load(TEXT, warm=False) == statements  # (the cache works: the same module reads it)
    assert isinstance(statements[0], Assign)
    monkeypatch.setattr(parsecache, "_OWN_SOURCE", parsecache._OWN_SOURCE + "0")  # (parsecache.py changed)
    assert parsecache.load(TEXT, warm=False) is None
    assert list((cache_home / "agentmake" / "parsed").iterdir())  # (the old entry is there, unread)
