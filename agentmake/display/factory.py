"""Choose the display once per build: live on an interactive terminal, plain lines otherwise, or silent."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TextIO

from agentmake.display.base import Sink
from agentmake.display.plain import PlainDisplay, SilentDisplay


def is_interactive(stream: TextIO, env: Mapping[str, str] | None = None) -> bool:
    """A terminal that understands control codes, not CI: `isatty()`, TERM not `dumb`, and no `CI` variable
    (or one set to `false`, `0`, `no` or empty: a script saying it is not CI)."""
    env = os.environ if env is None else env
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    ci = env.get("CI", "").strip().lower() not in ("", "0", "false", "no")
    return tty and env.get("TERM", "") != "dumb" and not ci


def make_display(
    stream: TextIO | None = None,
    *,
    silent: bool = False,
    force_terminal: bool | None = None,
    estimates: Mapping[str, float] | None = None,
    summary_stream: TextIO | None = None,
    env: Mapping[str, str] | None = None,
    verbose: bool = False,
) -> Sink:
    """The display for one build. Progress goes to `stream` (stderr by default); the one summary line of the
    build goes to `summary_stream` (stdout by default). `force_terminal` overrides the terminal detection.
    NO_COLOR is honoured by rich's Console (and plain output has no colours at all). `verbose` (-v): plain
    lines for pending and waiting tasks too, and one for each task up to date (not one line counting them)."""
    stream = stream if stream is not None else sys.stderr
    if silent:
        return SilentDisplay(stream, summary_stream=summary_stream)
    interactive = is_interactive(stream, env) if force_terminal is None else force_terminal
    if not interactive:
        return PlainDisplay(stream, summary_stream=summary_stream, verbose=verbose)
    from rich.console import Console  # rich only for the live display: plain and silent runs never load it

    from agentmake.display.live import LiveDisplay

    console = Console(file=stream, force_terminal=True)
    return LiveDisplay(console, summary_stream=summary_stream, estimates=estimates)
