"""Two hints of the command line: the one for a target that starts with '-' (`agentmake -notes.md -- lang=fr`
was told `agentmake -- -notes.md`, its VAR=value words after `--` dropped: copied, it built with the
Agentfile's values, not the ones typed) keeps them now; and `--help`'s path of the Agentfile language's
description, which is where the package is installed, is made safe for a terminal as every other path."""

from __future__ import annotations

import pytest

from agentmake import starter
from agentmake.cli import main


def test_the_dashdash_hint_keeps_the_values_after_dashdash(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-notes.md", "lang=es", "--", "lang=fr", "x=1", "other.md"]) == 2
    err = capsys.readouterr().err
    assert "goes after '--': agentmake -- -notes.md other.md lang=fr x=1)" in err, err


def test_help_makes_the_language_doc_path_terminal_safe(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(starter, "language_doc_named", lambda: "/opt/a\x1b]0;pwned\x07b/README.md")
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "described in /opt/a\\x1b]0;pwned\\x07b/README.md" in out, out
