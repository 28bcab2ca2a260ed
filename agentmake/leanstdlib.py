"""Start-up: three standard modules imported without the modules they import only for a rare case.

`dataclasses` imports `inspect` (with `ast`, `dis` and `tokenize`: about a third of the instructions of
`agentmake --help`'s start) only to write a `__doc__` for a class that has none, `urllib.parse` (which
`pathlib` imports) imports `ipaddress` only to check a bracketed host in a URL, and `shutil` imports `bz2`
and `lzma` only to see whether they can be (for its archive formats, which agentmake never makes or
unpacks; 3.7 M instructions of a build's start). `install` imports each
while `sys.modules` holds a stand-in for the module it does not need: the stand-in is that module's name
alone, and its first attribute read imports the real module (under the import system's own lock: safe from
any thread) and answers from it. The stand-in leaves `sys.modules` as soon as the import is done: any other
`import inspect` gets the real module. What runs is what ran: the same functions and classes, imported
later or never. Only the console script calls it (`launch`), before anything imports either module.
From Python 3.12 `dataclasses` reads every class's annotations with `inspect.get_annotations`, so the
first dataclass defined imports `inspect` all the same: the stand-in saves nothing there, and costs nothing.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

# module to import -> the modules it imports for a rare case only
_RARE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("dataclasses", ("inspect",)),
    ("urllib.parse", ("ipaddress",)),
    ("shutil", ("bz2", "lzma")),
)


def _stand_in(name: str) -> ModuleType:
    """A module named `name` whose attributes are the real module's, imported on the first read."""
    module = ModuleType(name)

    def __getattr__(attr: str) -> object:
        # (read while the import it stands in for is still going on, by a module that import imports: it
        # leaves `sys.modules` first, else the import would find it again and ask it again, without end)
        if sys.modules.get(name) is module:
            del sys.modules[name]
        return getattr(importlib.import_module(name), attr)

    module.__getattr__ = __getattr__  # type: ignore[method-assign]  # (PEP 562: read from its __dict__)
    return module


def install() -> None:
    """Import `dataclasses`, `urllib.parse` and `shutil` with stand-ins (nothing is done for one already
    imported, or whose rare modules are)."""
    for module, rare in _RARE:
        import_without(module, rare)


def import_without(module: str, rare: tuple[str, ...]) -> None:
    """Import `module` while each of `rare` (the modules it imports for a rare case only) is a stand-in:
    imported on the first read of one of its attributes. Nothing is done for a module already imported, or
    whose rare modules are. `install` does so for `_RARE`; `subprocess`, which not every command needs, is
    imported so by its first importer on a build's path (`runners.process`): it imports `locale` only for
    the encoding of a child's text streams (`text=True` without an encoding, which agentmake's agents
    never use), 4.5 M instructions of a build's start (locale's table of aliases)."""
    if module in sys.modules or any(name in sys.modules for name in rare):
        return
    stand_ins = {name: _stand_in(name) for name in rare}
    sys.modules.update(stand_ins)
    try:
        importlib.import_module(module)
    finally:
        for name, stand_in in stand_ins.items():
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]
