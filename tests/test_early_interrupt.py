"""Ctrl-C while agentmake starts (found by `benchmarks/soak_kill9.py --signal INT`): Python raises the
KeyboardInterrupt wherever start-up is, most often inside an import. Where it cannot propagate (a weakref
callback of the import machinery) Python printed "Exception ignored" and the build then ran to the end, every
agent called; inside a class's creation Python 3.10 and 3.11 wrap it in a RuntimeError, and agentmake died
with a traceback and exit 1. Both are reproduced here exactly as they happen, with real builds."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from agentmake.cli import main

AGENTFILE = 'agent copy:\n    inputs = in.txt\n    outputs = out.txt\n    run = "cp {input} {output}"\n'

# The console script (`agentmake.launch.main`), with a Ctrl-C that arrives while start-up imports and is lost
# in a weakref callback, as the import machinery's module-lock callbacks lose it
SWALLOWED = textwrap.dedent(
    """
    import os, signal, sys, weakref
    import agentmake.gcpause as gcpause
    import agentmake.launch as launch

    def lost_ctrl_c():
        class Imported: pass
        module = Imported()
        def callback(ref):
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(3): pass  # (Python looks for signals here: the KeyboardInterrupt is ignored)
        ref = weakref.ref(module, callback)
        del module

    pause = gcpause.pause_startup
    gcpause.pause_startup = lambda: (pause(), lost_ctrl_c())
    sys.argv = ["agentmake"]
    sys.exit(launch.main())
    """
)


def project(root: Path) -> Path:
    root.mkdir()
    (root / "Agentfile").write_text(AGENTFILE)
    (root / "in.txt").write_text("paid for\n")
    return root


def test_a_ctrl_c_lost_while_agentmake_starts_still_stops_the_build(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    env = {**os.environ, "NO_COLOR": "1"}
    run = subprocess.run(
        [sys.executable, "-c", SWALLOWED], cwd=root, env=env, capture_output=True, text=True, timeout=60
    )
    assert "Exception ignored" in run.stderr  # (the Ctrl-C did come, and Python lost it)
    assert run.returncode == 130, run.stdout + run.stderr
    assert not (root / "out.txt").exists()  # no task ran
    assert "not run     copy  (build interrupted)" in run.stderr
    # and the next build, without a Ctrl-C, runs it
    again = subprocess.run(
        [sys.executable, "-m", "agentmake", "-s"], cwd=root, env=env, capture_output=True, text=True
    )
    assert again.returncode == 0 and (root / "out.txt").read_text() == "paid for\n"


def test_a_ctrl_c_inside_a_class_creation_is_an_interrupt_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path / "p")

    def build_interrupted_in_a_class(req: object) -> int:
        class Descriptor:
            def __set_name__(self, owner: type, name: str) -> None:
                raise KeyboardInterrupt  # (as Python's SIGINT handler raises it, here)

        class Owner:  # Python 3.10/3.11: RuntimeError("Error calling __set_name__ ...") from it
            field = Descriptor()

        return 0

    monkeypatch.setattr("agentmake.workflow.build", build_interrupted_in_a_class)
    assert main(["-C", str(root), "build"]) == 130
    err = capsys.readouterr().err
    assert "agentmake: interrupted" in err and "Traceback" not in err


# The console script, with a Ctrl-C that comes while the CLI module itself is being imported, inside the
# creation of one of its classes (the import of `agentmake.cli` is replaced by a module that does only that)
IN_CLI_IMPORT = textwrap.dedent(
    """
    import importlib.abc, importlib.util, sys
    import agentmake.launch as launch

    class Loader(importlib.abc.Loader):
        def create_module(self, spec):
            return None

        def exec_module(self, module):
            class Descriptor:
                def __set_name__(self, owner, name):
                    raise KeyboardInterrupt  # (as Python's SIGINT handler raises it, here)

            class Owner:
                field = Descriptor()

    class Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            return importlib.util.spec_from_loader(name, Loader()) if name == "agentmake.cli" else None

    sys.meta_path.insert(0, Finder())
    sys.argv = ["agentmake"]
    sys.exit(launch.main())
    """
)


def test_a_ctrl_c_while_the_cli_is_imported_is_an_interrupt_not_a_crash(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    run = subprocess.run([sys.executable, "-c", IN_CLI_IMPORT], cwd=root, capture_output=True, text=True)
    assert run.returncode == 130, run.stderr
    assert run.stderr == "agentmake: interrupted\n"
    assert not (root / "out.txt").exists()


@pytest.mark.parametrize("command", ["clean", "status"])
def test_a_ctrl_c_lost_while_agentmake_starts_stops_any_command(tmp_path: Path, command: str) -> None:
    root = project(tmp_path / "p")
    env = {**os.environ, "NO_COLOR": "1"}
    built = subprocess.run([sys.executable, "-m", "agentmake", "-s"], cwd=root, env=env, capture_output=True)
    assert built.returncode == 0 and (root / "out.txt").exists()
    script = SWALLOWED.replace('sys.argv = ["agentmake"]', f'sys.argv = ["agentmake", "{command}"]')
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True, timeout=60
    )
    assert "Exception ignored" in run.stderr  # (the Ctrl-C did come, and Python lost it)
    assert run.returncode == 130, run.stdout + run.stderr
    assert run.stderr.endswith("agentmake: interrupted\n") and run.stdout == ""  # it did nothing
    assert (root / "out.txt").read_text() == "paid for\n"  # clean removed nothing


# The console script, with a Ctrl-C lost (as above) while the launcher's own imports before the CLI run: the
# code cache's (typing, re, xxhash: the largest part of start-up before the CLI), here as it is looked up
IN_LAUNCH_IMPORTS = textwrap.dedent(
    """
    import importlib.abc, os, signal, sys, weakref

    class Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name == "agentmake.codecache":
                class Imported: pass
                module = Imported()
                def callback(ref):
                    os.kill(os.getpid(), signal.SIGINT)
                    for _ in range(3): pass  # (the KeyboardInterrupt is ignored here)
                ref = weakref.ref(module, callback)
                del module
            return None

    sys.meta_path.insert(0, Finder())
    from agentmake.launch import main
    sys.argv = ["agentmake"]
    sys.exit(main())
    """
)


def test_a_ctrl_c_lost_in_the_launchers_own_imports_still_stops_the_build(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    env = {**os.environ, "NO_COLOR": "1"}
    run = subprocess.run(
        [sys.executable, "-c", IN_LAUNCH_IMPORTS],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Exception ignored" in run.stderr  # (the Ctrl-C did come, and Python lost it)
    assert run.returncode == 130, run.stdout + run.stderr
    assert not (root / "out.txt").exists()  # no task ran
