"""The start-up and exit path of a build: what a shell-only build imports, the process ending at once after
the command (output and exit code intact), and the opt-in timeline (`AGENTMAKE_TRACE`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agentmake.plan.hashing import Hasher, hash_path

FAN_IN = 6  # more inputs than the hasher's pool threshold (4)

AGENTFILE = """\
agent first:
    inputs = seed.txt
    outputs = out/first.txt
    run = "cat {inputs} > {output}"

agent join:
    inputs = out/first.txt src/a.txt src/b.txt src/c.txt src/d.txt src/e.txt
    outputs = out/join.txt
    run = "cat {inputs} > {output}"
"""


def _project(root: Path, failing: bool = False) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "out").mkdir()
    (root / "seed.txt").write_text("seed\n")
    for name in "abcde":
        (root / "src" / f"{name}.txt").write_text(f"{name}\n")
    text = (
        AGENTFILE.replace('run = "cat {inputs} > {output}"\n', 'run = "exit 3"\n', 1)
        if failing
        else AGENTFILE
    )
    (root / "Agentfile").write_text(text)
    return root


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "AGENTMAKE_TRACE"}
    return {**env, "NO_COLOR": "1", "CI": "1", **extra}


def _agentmake(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentmake", "-C", str(root), *args],
        capture_output=True,
        text=True,
        env=_env(**env),
        timeout=60,
    )


def _warmed(root: Path) -> None:
    """The caches of a start warm for the Agentfile at `root` (its parsed statements, compiled code), as at
    every build but the first of an Agentfile's text: a first one loads lark (which imports `tempfile`, and
    `hashlib` for its grammar cache) and compiles what a warm one reads back. (Tests used to find them
    warm in the user's ~/.cache, left by earlier runs; the suite's cache home is now its own, and cold.)"""
    warm = _agentmake(root, "check")
    assert warm.returncode == 0, warm.stderr


def test_shell_build_loads_no_optional_module(tmp_path: Path) -> None:
    """A shell-only build with a fan-in of small files: no rich (plain output), no jinja2 or lark import
    beyond what parsing needs, no ctypes (no parent-death signal), no thread pool for a few small files, no
    hashlib, difflib or secrets (milliseconds each, for names and hints a build does not need), nor what
    finds leftovers and outputs another Agentfile declares where there are none to find, nor `locale`
    (its table of aliases: for the encoding of text streams `subprocess` never opens for agentmake, and
    for gettext's look for a catalog of argparse's titles where there is none: `leanstdlib.import_without`,
    `commands._titles_as_given`). The parse cache is warm (as at every build but the first of an
    Agentfile's text): parsing anew loads lark's grammar cache, which imports hashlib."""
    root = _project(tmp_path / "p")
    cache = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    warm = _agentmake(root, "check", **cache)
    assert warm.returncode == 0, warm.stderr
    probe = (
        "import gettext, sys\n"
        f"gettext._default_localedir = {str(tmp_path / 'no-catalogs')!r}\n"
        "from agentmake.cli import main\n"
        f"code = main(['-C', {str(root)!r}, 'build', '-j', '4'])\n"
        "names = ('rich', 'jinja2', 'ctypes', 'concurrent.futures', 'hashlib', 'difflib', 'secrets',"
        " 'agentmake.plan.leftovers', 'agentmake.plan.shared', 'locale')\n"
        "print(code, sorted(m for m in names if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=_env(**cache), timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "0 []"
    assert (root / "out" / "join.txt").read_text() == "seed\na\nb\nc\nd\ne\n"


# what runs an agent CLI or salvages its answers: a build of tasks that call none never needs them
AGENT_MODULES = (
    "agentmake.runners.execute", "agentmake.runners.salvage", "agentmake.runners.backups",
    "agentmake.runners.parse", "agentmake.runners.parsetext", "agentmake.runners.stall",
    "agentmake.runners.unfence", "agentmake.runners.writing",
)  # fmt: skip


def _agent_modules_after(root: Path, *args: str) -> tuple[str, list[str]]:
    """The exit code and the agent modules (`AGENT_MODULES`) imported by `agentmake -C root *args`, in a
    fresh interpreter."""
    probe = (
        "import sys\nfrom agentmake.cli import main\n"
        f"code = main(['-C', {str(root)!r}, *{list(args)!r}])\n"
        f"print(code, sorted(m for m in {AGENT_MODULES!r} if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=_env(), timeout=60
    )
    assert out.returncode == 0, out.stderr
    code, _, names = out.stdout.strip().splitlines()[-1].partition(" ")
    return code, json.loads(names.replace("'", '"'))


def test_a_build_of_shell_agents_imports_nothing_that_runs_an_agent_cli(tmp_path: Path) -> None:
    """A build whose tasks call no agent CLI runs them with `LocalExecutor`: none of the modules that run
    one, parse its answer or salvage it is imported (milliseconds of every such build). A build that
    selects an LLM agent among them imports them, and runs it."""
    root = _project(tmp_path / "p")
    _warmed(root)
    assert _agent_modules_after(root, "build", "-j", "4") == ("0", [])
    assert (root / "out" / "join.txt").read_text() == "seed\na\nb\nc\nd\ne\n"
    (root / "Agentfile").write_text(
        AGENTFILE + '\nrunner echo:\n    command = "cat"\n    format = text\n\n'
        "agent ask:\n    runner = echo\n    prompt = seed.txt\n    inputs = seed.txt\n"
        "    outputs = out/ask.txt\n"
    )
    code, names = _agent_modules_after(root, "build", "-j", "4", "out/join.txt")
    assert (code, names) == ("0", [])
    code, names = _agent_modules_after(root, "build", "-j", "4")
    assert code == "0" and "agentmake.runners.execute" in names, names
    assert (root / "out" / "ask.txt").read_text() == "seed\n"


def test_first_task_starts_before_tempfile_and_random_are_imported(tmp_path: Path) -> None:
    """What only a status file's write (`tempfile`, and the `random` it imports for its names), a retry's
    backoff (`random`) or a check without logs (`tempfile`) needs is imported when first needed: after a
    build's first task has started (the status file is first written while it runs), not on the way to
    it. (`mark` is called as each child starts: the modules loaded then are noted at the first.)"""
    root = _project(tmp_path / "p")
    _warmed(root)
    probe = (
        "import sys\n"
        "import agentmake.trace as trace\n"
        "seen = []\n"
        "def mark(moment, detail=''):\n"
        "    if moment == 'spawn' and not seen:\n"
        "        seen.append(sorted(m for m in ('tempfile', 'random') if m in sys.modules))\n"
        "trace.mark = mark\n"
        "from agentmake.cli import main\n"
        f"code = main(['-C', {str(root)!r}, 'build', '-j', '4'])\n"
        "print(code, seen, sorted(m for m in ('tempfile', 'random') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=_env(), timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "0 [[]] ['random', 'tempfile']"


def test_noop_answered_by_the_stamp_loads_no_agentfile_module(tmp_path: Path) -> None:
    """A no-op build the build stamp answers never parses the Agentfile: it imports neither the syntax
    package, the model, the project module, the graph, the store and SQLite nor the scheduler's event types
    (milliseconds of start-up each). Just after a build, files and directories within the racily-clean
    margin are checked again by content: with `graph.globs` and `plan.hashing` alone. Nor shutil, which
    argparse imports for the terminal's width unless it is told it, nor `starter`, whose look on disk for
    the language's description only `--help` prints."""
    root = _project(tmp_path / "p")
    first = _agentmake(root, "-j", "4")
    assert first.returncode == 0 and "2 ran" in first.stdout, first.stderr
    old = time.time() - 60  # past the racily-clean margin: the next build writes a stamp that can answer
    for path in [root / "Agentfile", root / "seed.txt", *root.glob("src/*.txt"), *root.glob("out/*.txt")]:
        os.utime(path, (old, old))
    assert _agentmake(root, "-j", "4").returncode == 0
    probe = (
        "import sys\nfrom agentmake.cli import main\n"
        f"code = main(['-C', {str(root)!r}, '-j', '4'])\n"
        "names = ('agentmake.syntax', 'agentmake.model', 'agentmake.project', 'agentmake.graph.dag',"
        " 'agentmake.store.db', 'sqlite3', 'lark', 'agentmake.scheduler.events', 'shutil',"
        " 'agentmake.starter')\n"
        "print(code, sorted(m for m in names if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=_env(), timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert "0 ran, 0 cached, 2 up to date" in out.stdout, out.stdout
    assert out.stdout.strip().splitlines()[-1] == "0 []"


def test_console_exit_keeps_output_and_exit_code(tmp_path: Path) -> None:
    """The process ends right after the command (no interpreter teardown) but the buffered progress lines,
    the summary line and the exit code all come out as before."""
    root = _project(tmp_path / "ok")
    run = _agentmake(root, "build")
    assert run.returncode == 0, run.stderr
    assert "agentmake: 2 ran" in run.stdout
    assert "done        join" in run.stderr  # buffered by the plain display, flushed by its atexit handler
    again = _agentmake(root, "build")
    assert again.returncode == 0 and "2 up to date" in again.stdout

    bad = _project(tmp_path / "bad", failing=True)
    failed = _agentmake(bad, "build")
    assert failed.returncode == 1
    assert "failed      first" in failed.stderr
    assert "1 failed" in failed.stdout


def test_main_with_argv_only_returns(tmp_path: Path) -> None:
    """`main(argv)` (tests, embedding) never ends the process: it returns the exit code."""
    from agentmake.cli import main

    root = _project(tmp_path / "p")
    assert main(["-C", str(root), "check"]) == 0
    assert main(["-C", str(root / "nowhere"), "build"]) == 2


def test_trace_is_off_unless_asked(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    trace = tmp_path / "trace.jsonl"
    assert _agentmake(root, "build").returncode == 0
    assert not trace.exists()
    (root / "seed.txt").write_text("changed\n")
    run = _agentmake(root, "build", AGENTMAKE_TRACE=str(trace))
    assert run.returncode == 0, run.stderr
    events = [json.loads(line) for line in trace.read_text().splitlines()]
    when = {(e["moment"], e["detail"]): e["t"] for e in events}
    order = [("cli-imported", ""), ("parsed", ""), ("graph", ""), ("store", ""), ("run", "")]
    order += [(m, "first") for m in ("launch", "spawn", "executed", "posted", "received", "committed")]
    order += [(m, "join") for m in ("launch", "spawn", "executed", "committed")]
    order += [("build-end", ""), ("closed", ""), ("exit", "")]
    times = [when[key] for key in order]
    assert times == sorted(times)


@pytest.mark.parametrize("size", [10, 3 << 20])
def test_file_hashes_of_many_misses(tmp_path: Path, size: int) -> None:
    """Small misses are hashed inline, large ones on the pool: the digests are the same either way."""
    names = [f"f{i}.bin" for i in range(FAN_IN)]
    for i, name in enumerate(names):
        (tmp_path / name).write_bytes(bytes([i]) * size)
    hashes = Hasher(tmp_path, None).file_hashes([*names, "missing.bin"])
    assert hashes == {**{n: hash_path(tmp_path / n) for n in names}, "missing.bin": None}
    assert len(set(hashes.values())) == FAN_IN + 1


def test_version_alone_imports_no_cli(tmp_path: Path) -> None:
    """`agentmake --version` alone prints what the parser's version action prints (`main(["--version"])`)
    without importing the CLI, argparse or dataclasses; with a command before it, the parser answers."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "agentmake", "--version"],
        capture_output=True, text=True, env=_env(), timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0 and run.stdout == "agentmake 0.1.0\n", run
    imported = {line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines()}
    assert not imported & {"agentmake.cli", "argparse", "dataclasses"}, sorted(imported)
    parsed = _agentmake(tmp_path, "build", "--version")
    assert parsed.returncode == 0 and parsed.stdout == "agentmake 0.1.0\n", parsed


@pytest.mark.parametrize("command", [["check"], ["-n"], []], ids=["check", "dry-run", "build"])
def test_check_imports_neither_inspect_nor_ipaddress_nor_bz2_nor_lzma(
    tmp_path: Path, command: list[str]
) -> None:
    """`dataclasses` and `urllib.parse` are imported without `inspect` (and its `ast`, `dis`, `tokenize`)
    and `ipaddress`, and `shutil` without `bz2` and `lzma` (`agentmake.leanstdlib`): `agentmake check` of a
    project, `-n` and a build that runs its tasks need none of them (every dataclass they define has a
    docstring). (The modules loaded are read at exit: `-X importtime` does not show what
    `importlib.import_module` imports.)"""
    root = _project(tmp_path / "p")
    _warmed(root)
    probe = (
        "import atexit, runpy, sys\n"
        "names = ('agentmake.leanstdlib', 'dataclasses', 'inspect', 'ast', 'tokenize', 'ipaddress', 'bz2',"
        " 'lzma', 'shutil')\n"
        "atexit.register(lambda: print(sorted(m for m in names if m in sys.modules)))\n"
        f"sys.argv = ['agentmake', '-C', {str(root)!r}, *{command!r}]\n"
        "runpy.run_module('agentmake', run_name='__main__', alter_sys=True)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=_env(), timeout=60
    )
    assert run.returncode == 0, run.stderr
    # (from 3.12, `dataclasses` reads every class's annotations with `inspect.get_annotations`: the first
    # dataclass defined imports it, whatever stood in for it)
    loaded = ["agentmake.leanstdlib", "dataclasses", "shutil"]
    if sys.version_info >= (3, 12):
        loaded = sorted([*loaded, "ast", "inspect", "tokenize"])
    assert run.stdout.strip().splitlines()[-1] == str(loaded), run.stdout


def test_stand_ins_answer_as_the_real_modules() -> None:
    """What the stand-ins serve is the real modules' (imported on first use): a dataclass without a docstring
    gets its signature as `__doc__`, a bracketed URL host is checked, and `import inspect` after start-up
    gets the real module."""
    probe = """if True:
        import sys
        from agentmake import leanstdlib
        leanstdlib.install()
        assert "inspect" not in sys.modules and "ipaddress" not in sys.modules
        import dataclasses
        from urllib.parse import urlsplit

        @dataclasses.dataclass
        class Point:
            x: int
            y: str = "a"

        assert Point.__doc__ == "Point(x: int, y: str = 'a')", Point.__doc__
        import inspect
        assert type(sys.modules["inspect"]) is type(sys)
        assert inspect.signature is dataclasses.inspect.signature
        assert urlsplit("http://[::1]:80/x").hostname == "::1"
        import shutil
        assert "bz2" not in sys.modules and "lzma" not in sys.modules
        import bz2, lzma
        assert type(bz2) is type(sys) and bz2.compress(b"x") and lzma.decompress(lzma.compress(b"x")) == b"x"
        assert shutil._BZ2_SUPPORTED and shutil._LZMA_SUPPORTED  # (as here without the stand-ins)
        assert ("bztar", "bzip2'ed tar-file") in shutil.get_archive_formats()
        """
    run = subprocess.run(
        [sys.executable, "-c", probe + _BRACKETED], capture_output=True, text=True, env=_env(), timeout=60
    )
    assert run.returncode == 0, run.stderr
    # a bad bracketed host is refused as this Python refuses it without the stand-ins (3.11.4 and later
    # check it with `ipaddress`; 3.10 takes it as it is)
    real = subprocess.run(
        [sys.executable, "-c", "if True:\n" + _BRACKETED],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
    )
    assert real.returncode == 0 and real.stdout, real.stderr
    assert run.stdout == real.stdout, (run.stdout, real.stdout)


def test_subprocess_without_locale_reads_it_on_use() -> None:
    """`subprocess` imported without `locale` (`leanstdlib.import_without`, as `runners.process` imports it)
    still decodes a child's text streams in the locale's encoding: `locale` is imported on that first use."""
    probe = """if True:
        import sys
        from agentmake.leanstdlib import import_without
        import_without("subprocess", ("locale",))
        import subprocess
        assert "locale" not in sys.modules
        assert subprocess.run(["echo", "hi"], capture_output=True).stdout == b"hi\\n"
        assert "locale" not in sys.modules
        out = subprocess.run(["echo", "hi"], capture_output=True, text=True).stdout
        import locale
        assert out == "hi\\n"
        # (from 3.11 subprocess reads the encoding from `locale`, now the real one; 3.10 does not import it)
        assert getattr(subprocess, "locale", locale).getpreferredencoding is locale.getpreferredencoding
        print("ok")
        """
    run = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=_env(), timeout=60
    )
    assert run.returncode == 0 and run.stdout == "ok\n", run.stderr


_BRACKETED = """
        from urllib.parse import urlsplit
        try:
            print("taken:", urlsplit("http://[::1x]/").hostname)
        except ValueError as e:
            print("refused:", e)
        """


def test_a_stand_in_read_while_its_import_goes_on_is_the_real_module(tmp_path: Path) -> None:
    """A module imported under a stand-in that reads the stood-in module as it is imported (a later Python's
    `dataclasses` might) gets the real module's attribute, not an endless recursion."""
    (tmp_path / "reads_inspect.py").write_text("import inspect\nSIG = inspect.signature(len)\n")
    probe = """if True:
        import sys
        from agentmake import leanstdlib
        leanstdlib._RARE = (("reads_inspect", ("inspect",)),)
        leanstdlib.install()
        import inspect, reads_inspect
        assert type(sys.modules["inspect"]) is type(sys) and "signature" in vars(sys.modules["inspect"])
        print(reads_inspect.SIG)
        """
    env = _env(PYTHONPATH=os.pathsep.join([str(tmp_path), *(p for p in sys.path if p)]))
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout == "(obj, /)\n", run.stdout
