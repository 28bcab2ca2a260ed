"""What each command's --help says of its options tells what the option does there: `list -v` said only
"say more" (it lists every task of each agent, not the first 10), build's -v "and say more", a command's
own -h "(after a command: that command's own)", -j "tasks at once", graph's --format "output format"."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from agentmake.commands import COMMANDS


def _help(*argv: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "agentmake", *argv],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _option_help(text: str, flag: str) -> str:
    """The help of option `flag` in a --help text, its lines joined. (Python 3.13's argparse writes a short
    option's metavar once: "-j, --jobs N" for "-j N, --jobs N".)"""
    forms = "|".join(re.escape(f) for f in {flag, re.sub(r"^(-\w) \S+, ", r"\1, ", flag)})
    m = re.search(rf"^  (?:{forms})(?:  +|\n {{10,}})(\S[^\n]*(?:\n {{10,}}\S[^\n]*)*)", text, re.M)
    assert m is not None, f"{flag} not in:\n{text}"
    return " ".join(m.group(1).split())


def test_list_help_says_what_v_adds() -> None:
    said = _option_help(_help("list", "--help"), "-v, --verbose")
    assert said == "list every task of each agent (without -v: the first 10 of each)"


@pytest.mark.parametrize("command", list(COMMANDS))
def test_no_option_of_a_command_says_only_say_more(command: str) -> None:
    text = _help(command, "--help")
    assert "say more" not in text
    assert _option_help(text, "-h, --help") == "show this help and exit"  # (this is the command's own)


def test_build_options_say_what_they_do() -> None:
    text = _help("build", "--help")
    verbose = _option_help(text, "-v, --verbose")
    assert "pending, waiting and up-to-date tasks one by one" in verbose, verbose
    assert "with -n, each reason in full" in verbose, verbose
    assert (
        _option_help(text, "-j N, --jobs N")
        == "run at most N tasks at once (default: the Agentfile's `jobs`, else 4)"
    )
    graph = _option_help(_help("graph", "--help"), "--format {text,dot,mermaid}")
    assert graph == "output format, text (the default), dot (Graphviz) or mermaid"
