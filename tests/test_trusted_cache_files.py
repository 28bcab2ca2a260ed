"""The caches agentmake reads back from its private directory and trusts (lark's compiled grammar, a pickle:
loading it runs code; the parsed statements of an Agentfile; the templates known to compile) are read only
from this user's own file, in place, that no other user may write (`cachefile.read_private`, `claimed`),
and written so (mode 0600, whatever the umask); another file is not read: the work is done anew."""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator
from pathlib import Path

import pytest
from groupdb import shared_group

from agentmake.project import KnownTemplates
from agentmake.syntax import grammar, parsecache
from agentmake.syntax.parser import parse_text

ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
OTHER = 65534  # (nobody)
TEXT = 'agent a:\n    outputs = out.txt\n    run = "echo hi > {output}"\n'
OTHER_TEXT = 'agent b:\n    outputs = b.txt\n    run = "rm -rf {output}"\n'


class _Runs:
    """A pickle that, loaded, makes the directory `path`: code another user would have run."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.mkdir, (str(self.path),))


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    shared_group(monkeypatch)  # (group-writable: writable by another member; `test_cache_private_group`)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    grammar.lark_parser.cache_clear()
    (tmp_path / "cache" / "agentmake").mkdir(mode=0o700, parents=True)
    yield tmp_path / "cache" / "agentmake"
    grammar.lark_parser.cache_clear()


def _planted(path: Path, marker: Path) -> None:
    path.write_bytes(b"x\n" + pickle.dumps(_Runs(marker)))


def _spoiled(how: str, path: Path, tmp_path: Path) -> None:
    """Make the file at `path` one that is not read: writable by others (the `cache` fixture's group is not
    this user's alone), another's, or a link to one."""
    if how == "link":
        elsewhere = tmp_path / "elsewhere"
        os.replace(path, elsewhere)
        path.symlink_to(elsewhere)
    elif how == "another's":
        os.chown(path, OTHER, OTHER)
    else:
        path.chmod(0o666 if how == "o+w" else 0o620)


HOWS = [
    "o+w",
    "g+w",
    "link",
    pytest.param("another's", marks=pytest.mark.skipif(not ROOT, reason="needs root")),
]


@pytest.mark.parametrize("how", HOWS)
def test_a_grammar_pickle_not_this_users_alone_is_not_loaded(cache: Path, tmp_path: Path, how: str) -> None:
    path = cache / "agentfile-grammar.lark-cache"
    marker = tmp_path / "ran"
    _planted(path, marker)
    _spoiled(how, path, tmp_path)
    statements = parse_text(TEXT * 2000, "Agentfile")  # (large: parsed by lark, not from the parse cache)
    assert not marker.exists()  # (lark loads the pickle before it compares the grammar's hash)
    assert len(statements) == 2000 and statements[0].name == "a"
    # made anew: this user's alone, and read back at the next start
    assert path.stat().st_mode & 0o777 == 0o600 and path.stat().st_size > 0
    grammar.lark_parser.cache_clear()
    assert parse_text(TEXT * 2000 + "\n", "Agentfile")[0].name == "a"


def test_a_grammar_pickle_of_this_users_alone_is_loaded(cache: Path, tmp_path: Path) -> None:
    path = cache / "agentfile-grammar.lark-cache"
    marker = tmp_path / "ran"
    _planted(path, marker)
    path.chmod(0o600)
    parse_text(TEXT * 2000, "Agentfile")  # (its hash is not the grammar's: lark builds the parser anew)
    assert marker.exists()  # (the check stops only what another user could have written)


def test_the_grammar_cache_is_written_for_this_user_alone_whatever_the_umask(cache: Path) -> None:
    old = os.umask(0o002)
    try:
        parse_text(TEXT * 2000, "Agentfile")
    finally:
        os.umask(old)
    path = cache / "agentfile-grammar.lark-cache"
    assert path.stat().st_mode & 0o777 == 0o600 and path.stat().st_size > 0


def _parsed_entry(text: str) -> Path:
    key = parsecache._cache_key(text)
    assert key is not None
    return Path(key)


@pytest.mark.parametrize("how", HOWS)
def test_parsed_statements_not_this_users_alone_are_not_used(cache: Path, tmp_path: Path, how: str) -> None:
    planted = parse_text(OTHER_TEXT, "Agentfile", strict=True)
    parsecache.store(TEXT, planted, warm=False)  # (another Agentfile's statements under this text's key)
    assert parsecache.load(TEXT, warm=False) == planted
    _spoiled(how, _parsed_entry(TEXT), tmp_path)
    assert parsecache.load(TEXT, warm=False) is None
    assert parse_text(TEXT, "Agentfile")[0].name == "a"


def test_parsed_statements_in_a_directory_others_may_write_are_not_used(cache: Path) -> None:
    planted = parse_text(OTHER_TEXT, "Agentfile", strict=True)
    parsecache.store(TEXT, planted, warm=False)
    _parsed_entry(TEXT).parent.chmod(0o777)
    assert parsecache.load(TEXT, warm=False) is None
    parsecache.store(
        TEXT, planted, warm=False
    )  # (made this user's alone again: its entries are each checked)
    assert _parsed_entry(TEXT).parent.stat().st_mode & 0o777 == 0o700
    assert parsecache.load(TEXT, warm=False) == planted


def test_parsed_statements_are_written_for_this_user_alone_whatever_the_umask(cache: Path) -> None:
    old = os.umask(0o002)
    try:
        parsecache.store(TEXT, parse_text(TEXT, "Agentfile", strict=True), warm=False)
    finally:
        os.umask(old)
    assert _parsed_entry(TEXT).stat().st_mode & 0o777 == 0o600
    assert _parsed_entry(TEXT).parent.stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize("how", HOWS)
def test_templates_known_to_compile_are_not_taken_from_a_file_not_this_users_alone(
    cache: Path, tmp_path: Path, how: str
) -> None:
    known = KnownTemplates()
    known.add("Hello {{ name }}")
    known.save()
    assert KnownTemplates().seen("Hello {{ name }}")
    _spoiled(how, cache / KnownTemplates.NAME, tmp_path)
    assert not KnownTemplates().seen("Hello {{ name }}")


def test_templates_known_to_compile_are_written_for_this_user_alone_whatever_the_umask(cache: Path) -> None:
    old = os.umask(0o002)
    try:
        known = KnownTemplates()
        known.add("Hello {{ name }}")
        known.save()
    finally:
        os.umask(old)
    assert (cache / KnownTemplates.NAME).stat().st_mode & 0o777 == 0o600
