"""Terminal and on-disk views of a build: live table, plain lines, status.md, and the `status` command rows.

Contract: every display is a sink (`Sink`): called with each `TaskEvent` (from one thread), optionally
`tick()`ed to refresh elapsed times, and `close(result)`d once, which prints the summary and exactly one
summary line (`BuildResult.summary_line()`) to stdout. `make_display(...)` decides interactive or plain once;
`Fanout` sends events to several sinks (e.g. the display and a `StatusFile`).
"""

from typing import TYPE_CHECKING

from agentmake.lazy import lazy_names

if TYPE_CHECKING:
    from agentmake.display.base import Fanout, Sink, summary_lines
    from agentmake.display.factory import is_interactive, make_display
    from agentmake.display.live import LiveDisplay
    from agentmake.display.plain import PlainDisplay, SilentDisplay
    from agentmake.display.status import render_status_json, render_status_text, status_rows
    from agentmake.display.statusfile import StatusFile

# loaded on first use: `rich` (live) and the plan (status rows) are not needed by plain builds, and a
# module of the package imported alone (`status` imports `display.status`) loads no other: the build's
# displays and status.md writer (tempfile, shutil, queue) are not `agentmake status`'s
__getattr__ = lazy_names(
    __name__,
    {
        "Fanout": "agentmake.display.base",
        "Sink": "agentmake.display.base",
        "summary_lines": "agentmake.display.base",
        "is_interactive": "agentmake.display.factory",
        "make_display": "agentmake.display.factory",
        "PlainDisplay": "agentmake.display.plain",
        "SilentDisplay": "agentmake.display.plain",
        "StatusFile": "agentmake.display.statusfile",
        "LiveDisplay": "agentmake.display.live",
        "render_status_json": "agentmake.display.status",
        "render_status_text": "agentmake.display.status",
        "status_rows": "agentmake.display.status",
    },
)


__all__ = [
    "Fanout",
    "LiveDisplay",
    "PlainDisplay",
    "SilentDisplay",
    "Sink",
    "StatusFile",
    "is_interactive",
    "make_display",
    "render_status_json",
    "render_status_text",
    "status_rows",
    "summary_lines",
]
