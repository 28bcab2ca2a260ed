"""agentmake's modules' code kept in one file (`agentmake.modulecache`): a build's second start reads them
from it, and never what is no longer there: an edited module, a package put in a module's place, a damaged
file.

Each test builds with a copy of the agentmake package (so it may edit it) and its own cache directory."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import agentmake

AGENTFILE = """\
agent first:
    inputs = seed.txt
    outputs = out/first.txt
    run = "cat {inputs} > {output}"
"""

# the console script, noting at exit how many of agentmake's modules came from the file, and from where
CHILD = """
import atexit, json, sys
out = sys.argv[1]
def note():
    mc = sys.modules.get("agentmake.modulecache")
    mods = {n: m for n, m in sys.modules.items() if n.startswith("agentmake.")}
    served = sorted(n for n, m in mods.items() if getattr(getattr(m, "__spec__", None), "loader", None)
                    is not None and getattr(m.__spec__.loader, "_where", None) is not None)
    files = {n: getattr(m, "__file__", None) for n, m in mods.items()}
    undocumented = sorted(n for n, m in mods.items() if m.__doc__ is None)
    with open(out, "w") as fh:
        json.dump({"served": served, "files": files, "installed": mc is not None,
                   "undocumented": undocumented}, fh)
atexit.register(note)
from agentmake.launch import main
sys.argv = ["agentmake", "-s"]
sys.exit(main())
"""


def _setup(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    package = tmp_path / "lib" / "agentmake"
    source = Path(agentmake.__file__).parent
    shutil.copytree(source, package, ignore=shutil.ignore_patterns("__pycache__"))
    if (source.parent / "grammar").is_dir():  # (a source checkout: the grammar beside the package)
        shutil.copytree(source.parent / "grammar", package.parent / "grammar")
    root = tmp_path / "p"
    root.mkdir()
    (root / "Agentfile").write_text(AGENTFILE)
    (root / "seed.txt").write_text("seed\n")
    env = {k: v for k, v in os.environ.items() if k not in ("AGENTMAKE_TRACE", "PYTHONDONTWRITEBYTECODE")}
    env.update(PYTHONPATH=str(tmp_path / "lib"), XDG_CACHE_HOME=str(tmp_path / "cache"), NO_COLOR="1", CI="1")
    return package, root, env


def _build(
    root: Path, env: dict[str, str], note: Path, *, force: bool = True, flags: tuple[str, ...] = ()
) -> dict:
    if force:  # (a change: every build runs its task)
        (root / "seed.txt").write_text(f"seed {note.name}\n")
    run = subprocess.run(
        [sys.executable, *flags, "-c", CHILD, str(note)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert (root / "out" / "first.txt").read_text() == (root / "seed.txt").read_text()
    result = json.loads(note.read_text())
    result["stderr"] = run.stderr
    return result


def _cache_file(tmp_path: Path) -> Path:
    (found,) = (tmp_path / "cache" / "agentmake").glob("module-code.*.marshal")
    return found


def test_the_second_start_reads_agentmakes_modules_from_the_file(tmp_path: Path) -> None:
    package, root, env = _setup(tmp_path)
    first = _build(root, env, tmp_path / "1.json")
    assert first["installed"] and first["served"] == []  # (no file yet: found as usual, then kept)
    assert _cache_file(tmp_path).stat().st_size > 0
    second = _build(root, env, tmp_path / "2.json")
    assert "agentmake.cli" in second["served"] and "agentmake.scheduler.loop" in second["served"]
    assert second["files"] == first["files"]  # (the same modules, from the same source files)
    assert all(f is None or f.startswith(str(package)) for f in second["files"].values())


def test_an_edited_module_is_read_from_its_source_not_the_file(tmp_path: Path) -> None:
    package, root, env = _setup(tmp_path)
    _build(root, env, tmp_path / "1.json")
    natorder = package / "natorder.py"
    natorder.write_text(natorder.read_text() + '\nimport sys\nsys.stderr.write("natorder as edited\\n")\n')
    second = _build(root, env, tmp_path / "2.json")
    assert "natorder as edited" in second["stderr"]
    assert "agentmake.natorder" not in second["served"] and "agentmake.cli" in second["served"]
    third = _build(root, env, tmp_path / "3.json")  # (and the file now keeps the edited code)
    assert "natorder as edited" in third["stderr"] and "agentmake.natorder" in third["served"]


def test_a_package_put_beside_a_module_is_imported_as_python_would(tmp_path: Path) -> None:
    package, root, env = _setup(tmp_path)
    _build(root, env, tmp_path / "1.json")
    # (a package `natorder/` beside `natorder.py`: Python's path finder imports the package)
    (package / "natorder").mkdir()
    source = (package / "natorder.py").read_text()
    shadow = source + '\nimport sys\nsys.stderr.write("the package\\n")\n'
    (package / "natorder" / "__init__.py").write_text(shadow)
    second = _build(root, env, tmp_path / "2.json")
    assert "the package" in second["stderr"]
    assert second["files"]["agentmake.natorder"] == str(package / "natorder" / "__init__.py")


def test_a_damaged_file_is_only_a_slower_start(tmp_path: Path) -> None:
    _package, root, env = _setup(tmp_path)
    _build(root, env, tmp_path / "1.json")
    kept = _cache_file(tmp_path)
    data = kept.read_bytes()
    kept.write_bytes(data[: len(data) // 2] + b"\0" * (len(data) - len(data) // 2))  # (entries garbled)
    second = _build(root, env, tmp_path / "2.json")
    third = _build(root, env, tmp_path / "3.json")
    assert second["files"] == third["files"]
    assert "agentmake.cli" in third["served"]  # (written again)
    kept.write_bytes(b"not marshal")
    fourth = _build(root, env, tmp_path / "4.json")
    assert fourth["served"] == [] and fourth["files"] == third["files"]


def test_code_compiled_under_another_optimization_level_is_not_read(tmp_path: Path) -> None:
    # (`python -OO` strips docstrings and asserts: as Python keeps its `.opt-2.pyc` apart, a plain start
    # never runs that code, nor an -OO start the plain code)
    _package, root, env = _setup(tmp_path)
    env.pop("PYTHONOPTIMIZE", None)
    stripped = _build(root, env, tmp_path / "1.json", flags=("-OO",))
    assert "agentmake.cli" in stripped["undocumented"]
    _build(root, env, tmp_path / "2.json", flags=("-OO",))
    plain = _build(root, env, tmp_path / "3.json")
    assert "agentmake.cli" not in plain["undocumented"]
    again = _build(root, env, tmp_path / "4.json")
    assert "agentmake.cli" in again["served"] and "agentmake.cli" not in again["undocumented"]
    stripped = _build(root, env, tmp_path / "5.json", flags=("-OO",))
    assert "agentmake.cli" in stripped["served"] and "agentmake.cli" in stripped["undocumented"]


def test_a_file_of_another_shape_is_only_a_slower_start(tmp_path: Path) -> None:
    # (an index whose entries have a field more, or a value of another type: a damaged file, or one that an
    # agentmake keeping more per module wrote, with the same Python: its modules found as usual, no error)
    import marshal

    _package, root, env = _setup(tmp_path)
    first = _build(root, env, tmp_path / "1.json")
    kept = _cache_file(tmp_path)
    data = kept.read_bytes()
    index = marshal.loads(data)
    entries = data[len(data) - sum(entry[5] for entry in index.values()) :]
    longer = {name: (*entry, 0) for name, entry in index.items()}
    kept.write_bytes(marshal.dumps(longer) + entries)
    second = _build(root, env, tmp_path / "2.json")
    assert second["files"] == first["files"] and "Traceback" not in second["stderr"]
    third = _build(root, env, tmp_path / "3.json")  # (written again, in this one's shape)
    assert "agentmake.cli" in third["served"]
    typed = {
        name: (entry[0], entry[1], entry[2], entry[3], str(entry[4]), entry[5])
        for name, entry in index.items()
    }
    kept.write_bytes(marshal.dumps(typed) + entries)
    fourth = _build(root, env, tmp_path / "4.json")
    assert fourth["files"] == first["files"] and "Traceback" not in fourth["stderr"]


def test_a_module_replaced_by_one_of_the_same_size_and_times_is_read_anew(tmp_path: Path) -> None:
    # (what `tar x`, `cp -p`, `rsync -t` or an image built with fixed timestamps do: another text, of the same
    # size, given the old one's modification time, its compiled code beside it new, as an installer makes
    # it; Python imports the new code, and so must a start that kept the old)
    import py_compile

    package, root, env = _setup(tmp_path)
    natorder = package / "natorder.py"
    edit = '\nimport sys; sys.stderr.write("natorder as edited\\n")\n'
    natorder.write_text(natorder.read_text() + "\n#" + "x" * (len(edit) - 2))
    _build(root, env, tmp_path / "1.json")
    _build(root, env, tmp_path / "2.json")
    before = natorder.stat()
    natorder.write_text(natorder.read_text()[: -len(edit)] + edit)
    os.utime(natorder, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.utime(package, ns=(package.stat().st_atime_ns, package.stat().st_mtime_ns))
    assert natorder.stat().st_size == before.st_size and natorder.stat().st_mtime_ns == before.st_mtime_ns
    py_compile.compile(str(natorder), doraise=True)
    third = _build(root, env, tmp_path / "3.json")
    assert "natorder as edited" in third["stderr"]
    fourth = _build(root, env, tmp_path / "4.json")
    assert "natorder as edited" in fourth["stderr"] and "agentmake.natorder" in fourth["served"]
