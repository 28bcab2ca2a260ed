"""`agentmake watch`: build, then rebuild exactly what each edit made stale, until stopped.

Contract: `watch(request) -> exit code` (the command). Its modules: `links` (naming what the watcher saw as
the paths tasks read, through links) and `outside` (the watch of directories outside the project).

`watch` is imported on first use, so `agentmake.watch.links` loads without the rest of agentmake.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentmake.lazy import lazy_names

if TYPE_CHECKING:
    from agentmake.watch.session import watch

__all__ = ["watch"]

__getattr__ = lazy_names(__name__, {"watch": "agentmake.watch.session"})
