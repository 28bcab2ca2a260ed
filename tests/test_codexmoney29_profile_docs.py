"""The docstrings of the modules that read codex's sandbox flags describe codex 0.134 and later, which
agentmake's code follows: a ``--profile NAME`` file layered under the ``-c`` overrides, no "active
profile" (a legacy ``[profiles.NAME]`` table) beating a ``-c sandbox_mode``. And `argvflags.clap_value`,
which `modelconfig` and `authsettings` import, is in its ``__all__``."""

from __future__ import annotations

import ast
import inspect

import pytest

from agentmake import unwritable
from agentmake.runners import argvflags, invocation


@pytest.mark.parametrize("module", [invocation, unwritable, argvflags])
def test_no_docstring_describes_the_legacy_active_profile(module: object) -> None:
    tree = ast.parse(inspect.getsource(module))  # type: ignore[arg-type]
    nodes = [tree, *(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef)))]
    texts = [ast.get_docstring(n) or "" for n in nodes]
    assert not [t for t in texts if "active profile" in t]


def test_clap_value_is_exported() -> None:
    assert "clap_value" in argvflags.__all__
