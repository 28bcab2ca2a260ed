"""The parser's group titles ("positional arguments", "options"): looked up with gettext only where it has a
catalog to look in (`commands._titles_as_given`), so a start imports no `locale` for two words that only
--help prints; where a catalog translates them, --help says them translated, as before."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

PROBE = """\
import gettext, sys
gettext._default_localedir = sys.argv[1]
from agentmake.commands import parser
p = parser()
print("locale" in sys.modules)  # (--help itself looks up "usage: " and the like: after this)
titles = [line for line in p.format_help().splitlines() if line.endswith(":") and not line[0].isspace()]
print(titles)
"""


def _write_mo(path: Path, catalog: dict[str, str]) -> None:
    """A GNU gettext catalog (.mo) of `catalog` (message -> translation), as msgfmt writes it."""
    catalog = {"": "Content-Type: text/plain; charset=UTF-8\n", **catalog}
    keys = sorted(catalog)
    ids = b"".join(k.encode() + b"\0" for k in keys)
    strs = b"".join(catalog[k].encode() + b"\0" for k in keys)
    start = 7 * 4 + 16 * len(keys)  # header, then both tables of (length, offset)
    offsets_ids, offsets_strs, at = [], [], 0
    for k in keys:
        offsets_ids += [len(k.encode()), start + at]
        at += len(k.encode()) + 1
    at = 0
    for k in keys:
        offsets_strs += [len(catalog[k].encode()), start + len(ids) + at]
        at += len(catalog[k].encode()) + 1
    header = struct.pack("Iiiiiii", 0x950412DE, 0, len(keys), 7 * 4, 7 * 4 + 8 * len(keys), 0, 0)
    path.parent.mkdir(parents=True)
    path.write_bytes(
        header
        + struct.pack(f"{len(offsets_ids)}i", *offsets_ids)
        + struct.pack(f"{len(offsets_strs)}i", *offsets_strs)
        + ids
        + strs
    )


def _probe(localedir: Path) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANG")}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(localedir)],
        capture_output=True,
        text=True,
        env={**env, "LANGUAGE": "de", "COLUMNS": "100"},
        timeout=60,
        check=True,
    )
    return out.stdout.split("\n")


def test_no_catalog_directory_no_locale_import(tmp_path: Path) -> None:
    """Where gettext's directory of catalogs does not exist (a Python built without one: pyenv, many venvs'
    bases), the parser is made without a lookup: `locale` is not imported, the titles read as written."""
    lines = _probe(tmp_path / "no-such-dir")
    assert lines[0] == "False"
    assert lines[1] == "['positional arguments:', 'options:', 'commands:', 'exit status:']"


def test_a_catalog_still_translates_the_titles(tmp_path: Path) -> None:
    """Where the directory holds a catalog of the current domain for the language asked for, the titles are
    looked up as argparse always did: --help says them in that language."""
    _write_mo(tmp_path / "locale" / "de" / "LC_MESSAGES" / "messages.mo", {"options": "Optionen"})
    lines = _probe(tmp_path / "locale")
    assert lines[1] == "['positional arguments:', 'Optionen:', 'commands:', 'exit status:']"
