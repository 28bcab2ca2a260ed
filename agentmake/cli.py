"""The command line: argv -> `workflow.Request` -> one workflow (or project) function -> exit code.

`agentmake [TARGET...] [VAR=value...]` builds; a first word naming a command runs that command instead
(`agentmake build list` builds a target called `list`). Options may appear anywhere before `--`; every word
after it is a target or a VAR=value, never an option or a command, as POSIX tools take it
(`agentmake -- -notes.md`, `agentmake explain -- -notes.md`, `agentmake -- list` builds a target `list`).
`agentmake COMMAND --help` tells that command's usage and options; `agentmake --help`, all of them. The
commands, their options and the argparse parser are in `commands.py`; this module only parses and dispatches.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from agentmake import locate
from agentmake.commands import COMMANDS, command_help, option_owners, parser
from agentmake.errors import AgentmakeError, UsageError
from agentmake.gcpause import end_startup
from agentmake.interrupts import caused_by_interrupt, interrupted, take_early
from agentmake.invocation import Invocation, command_line
from agentmake.safetext import term_lines, term_safe, utf8_safe
from agentmake.trace import mark

if TYPE_CHECKING:
    from agentmake.workflow import Request

mark("cli-imported")

_NO_TARGETS = ("check", "list", "init")
# options that change what a build does, with the commands they apply to (any other would ignore them)
_BUILD_FLAGS = (
    ("dry_run", "-n", ("build", "report", "clean")),
    ("question", "-q", ("build", "report")),
    ("touch", "-t", ("build",)),
    ("force", "-B", ("build", "report", "watch")),
    ("keep_going", "-k", ("build", "report", "watch")),
    ("budget", "--budget", ("build", "report", "watch")),
    ("wait", "--wait", ("build", "report", "clean", "watch")),  # (-t is a build's: it waits too)
)
# the other options that only some commands use (`commands.option_owners`) which the others refuse rather
# than take and do as without them, where the user would think it did something: `-v` (`explain -v`, `check
# -v`, `graph -v`: no more was said). Not `-j` nor `-s`, which wrappers pass before any command (`agentmake
# -j 8` as make users keep `-j` in MAKEFLAGS, `agentmake -s status`, as the tests' own helpers do): where no
# task runs, or where less is said, they mislead no one.
_MISLEADING = ("verbose",)
# and of `-j` and `-s`, typed after such a command (`agentmake check -j 3`, where the user meant it for this
# command, not a wrapper for every one): said to do nothing there, on stderr, and the command runs
_TAKEN = ("jobs", "silent")
_ASSIGN = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)=(.*)\Z", re.S)


def parse(argv: Sequence[str]) -> tuple[str, argparse.Namespace, object]:
    """argv -> (command, options, workflow.Request). Raises UsageError for a bad combination."""
    from agentmake.workflow import Request

    args = list(argv)
    # `--` ends the options: split there by hand (argparse's intermixed parsing keeps it only after a
    # positional word, so `agentmake -- -x` and `agentmake -n -- -x` took -x for an unknown option)
    operands: list[str] = []
    if "--" in args:
        at = args.index("--")
        args, operands = args[:at], args[at + 1 :]
    p = parser()
    p.words, p.operands = args, operands
    ns = p.parse_intermixed_args(args)
    words: list[str] = list(ns.words)
    command = "build"
    if words and words[0] in COMMANDS:
        command = words.pop(0)
        if ns.help:  # (before the checks below: `agentmake explain --help` needs no TARGET)
            sys.stdout.write(command_help(command))
            raise SystemExit(0)
    if ns.help:
        sys.stdout.write(command_help(None))
        raise SystemExit(0)
    words += operands
    targets: list[str] = []
    overrides: dict[str, str] = {}
    for word in words:
        m = _ASSIGN.match(word)
        if m:
            overrides[m.group(1)] = _utf8_value(word, m.group(2))
        else:
            targets.append(word)
    for flag, owner in (("json", "status"), ("format", "graph"), ("cache", "clean"), ("leftovers", "clean")):
        if getattr(ns, flag) not in (None, False) and command != owner:
            raise UsageError(f"--{flag} is an option of `agentmake {owner}`, not of `{command}`")
    for flag, name, owners in _BUILD_FLAGS:  # e.g. `clean -n` would otherwise remove everything, silently
        if getattr(ns, flag) and command not in owners:
            raise UsageError(f"{name} is an option of `agentmake {' / '.join(owners)}`, not of `{command}`")
    for flag in _MISLEADING:
        name, served = option_owners(flag)
        if getattr(ns, flag) and served is not None and command not in served:
            raise UsageError(f"{name} is an option of `agentmake {' / '.join(served)}`, not of `{command}`")
    typed = p.typed_after_command() if command in COMMANDS else set()
    for flag in _TAKEN:
        name, served = option_owners(flag)
        if getattr(ns, flag) and served is not None and command not in served and flag in typed:
            owned = f"an option of `agentmake {' / '.join(served)}`"
            print(f"agentmake: note: {name} does nothing for `{command}` ({owned})", file=sys.stderr)
    if command in _NO_TARGETS and targets:
        raise UsageError(f"`agentmake {command}` takes no targets (got {' '.join(targets)})")
    if command == "init" and overrides:  # (it writes the same starter whatever they say)
        names = ", ".join(overrides)  # (not their values: one may be a secret)
        raise UsageError(
            f"`agentmake init` takes no VAR=value (got {names}): it writes the same starter project"
        )
    if command == "explain" and not targets:
        given = Invocation(ns.directory, ns.agentfile, overrides)
        raise UsageError(
            "`agentmake explain` needs a TARGET: a task, an output or an agent"
            f" (`{command_line('list', invocation=given)}` names them)"
        )
    if ns.touch and (ns.question or ns.keep_going or ns.budget is not None):
        other = "-q" if ns.question else "-k" if ns.keep_going else "--budget"
        raise UsageError(f"-t runs nothing: {other} has no meaning with it")
    if ns.jobs is not None and ns.jobs < 1:
        raise UsageError(f"-j must be at least 1, not {ns.jobs}")
    if ns.budget is not None and not 0 <= ns.budget < float("inf"):  # (as `budget =` in an Agentfile)
        raise UsageError(f"--budget must be a non-negative amount, not {ns.budget:g}")
    if ns.agentfile and ns.agentfile.endswith(("/", os.sep)):  # (Path() drops it: `init` made a file there)
        raise UsageError(
            f"-f {ns.agentfile}: a directory (it ends in '/'); -f names the Agentfile"
            f" (-f {ns.agentfile}Agentfile), -C a directory (-C {ns.agentfile})"
        )
    directory = locate.project_directory(ns.directory, ns.agentfile)
    if not directory.is_dir():
        hint = ""
        if command == "init" and not directory.exists():  # (`agentmake init -C new`: say how to make it)
            from agentmake.invocation import from_here  # (`./` before a directory that starts with '-')

            named = os.path.basename(ns.agentfile or "Agentfile")
            new = shlex.quote(from_here(named, Invocation(ns.directory, ns.agentfile)))
            hint = f" (`mkdir` it first, or `agentmake init -f {new}` makes it)"
        raise UsageError(f"-C {ns.directory}: no such directory{hint}")
    req = Request(
        directory=directory,
        given_directory=ns.directory,
        agentfile=Path(ns.agentfile) if ns.agentfile else None,
        targets=targets,
        overrides=overrides,
        jobs=ns.jobs,
        keep_going=ns.keep_going,
        dry_run=ns.dry_run,
        force=ns.force,
        question=ns.question,
        touch=ns.touch,
        budget=ns.budget,
        silent=ns.silent,
        verbose=ns.verbose,
        wait=ns.wait,
    )
    return command, ns, req


def _utf8_value(word: str, value: str) -> str:
    """The value of a `VAR=value` word, which must be UTF-8 text, as an Agentfile is: its bytes reach
    prompts, keys and the state (Python gives an argument's other bytes as lone surrogates, which none of
    them can hold: a traceback mid-build). UsageError naming the bytes (`lang=x\\xff`)."""
    if utf8_safe(value) != value:
        raise UsageError(f"{utf8_safe(word)}: the value is not UTF-8 text (give it in UTF-8)")
    from agentmake.invocation import HIDDEN

    if value == HIDDEN:  # (a hint copied as it was printed would build, and pay, with '…' for the value)
        name = word.partition("=")[0]
        raise UsageError(
            f"{name}={HIDDEN}: {HIDDEN} stands for a value a hint kept out of sight; give the value"
        )
    return value


def _agentfile_command(command: str, req: Request) -> int:
    """init, check, list: commands on the Agentfile alone. (`project` is imported only here: a build loads
    the Agentfile only when its build stamp cannot answer.)"""
    from agentmake import project

    if command == "init":
        return project.init_project(req.directory, sys.stdout, req.agentfile)
    af = project.load(req.directory, req.agentfile, req.overrides)
    if command == "check":
        summary, warnings = project.check_report(af)
        for name in COMMANDS:  # (the command wins: `agentmake clean` removes outputs, not builds `clean`)
            kind = "agent" if name in af.agents else "report" if name in af.reports else None
            if kind is not None:
                warnings.append(
                    f"{kind} '{name}' is named like a command: `{command_line(name)}` runs the command; build"
                    f" the {kind} with `{command_line('build', name)}`"
                )
        for warning in warnings:
            print(term_safe(f"agentmake: warning: {warning}"), file=sys.stderr)
        if not req.silent:
            print(term_safe(summary))
    else:
        project.list_targets(af, sys.stdout, verbose=req.verbose)
    return 0


def _run(command: str, ns: argparse.Namespace, req: object) -> int:
    """Run `command`; 130 if a Ctrl-C that Python lost (see `agentmake.interrupts`) came before it began or,
    but for a build (whose loop counts one itself) or watch, while it ran."""
    if command not in ("build", "report") and take_early():
        return interrupted()
    code = _command(command, ns, req)
    if command not in ("build", "report", "watch") and take_early():
        return interrupted()
    return code


def _command(command: str, ns: argparse.Namespace, req: object) -> int:
    from agentmake import workflow

    assert isinstance(req, workflow.Request)
    if command in ("init", "check", "list"):
        return _agentfile_command(command, req)
    calls: dict[str, Callable[[], int]] = {
        "build": lambda: workflow.build(req),
        "report": lambda: workflow.report(req),
        "explain": lambda: workflow.explain(req),
        "graph": lambda: workflow.graph(req, ns.format or "text"),
        "status": lambda: workflow.status(req, ns.json),
        "clean": lambda: workflow.clean(req, ns.cache, leftovers=ns.leftovers),
        "watch": lambda: workflow.watch(req),
    }
    if command in ("build", "report", "watch"):
        _raise_open_files_limit()
    if command not in ("build", "report"):  # (a build's loop resumes the collector once it starts)
        end_startup()
    try:
        return calls[command]()
    except NotImplementedError:
        print(f"agentmake: error: '{command}' is not implemented yet", file=sys.stderr)
        return 2


def _raise_open_files_limit(most: int = 65536) -> None:
    """Raise the soft limit on open files towards the hard one (as Go programs and many build tools do):
    each running task holds a few descriptors (its pipes or logs, a pidfd), so a soft limit of 256 (macOS's
    default) made `-j 80` fail tasks with "Too many open files" while the hard limit allowed far more."""
    try:
        import resource
    except ImportError:  # (not on Windows)
        return
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = most if hard == resource.RLIM_INFINITY else min(hard, most)
        if soft != resource.RLIM_INFINITY and soft < want:
            for value in (want, min(want, 10240)):  # (macOS refuses more than OPEN_MAX, 10240)
                try:
                    resource.setrlimit(resource.RLIMIT_NOFILE, (value, hard))
                    return
                except (ValueError, OSError):
                    continue
    except (ValueError, OSError):
        return


def main(argv: Sequence[str] | None = None) -> int:
    """The `agentmake` console script. Returns the exit code (0 ok, 1 build failed, 2 error, 130
    interrupted). Called without `argv` (the console script, `python -m agentmake`) a finished command
    ends the process at once (`_end_process`); with `argv` (tests, embedding) it only returns."""
    args = sys.argv[1:] if argv is None else list(argv)
    if argv is None:
        from agentmake.pipes import guard, tolerate_legacy_encodings

        tolerate_legacy_encodings()
        guard()  # (a reader that goes away, `| head -1`, ends no command early: `agentmake.pipes`)
    code = _main(args)
    if argv is None:
        _end_process(code)
    return code


def _end_process(code: int) -> None:
    """Exit now, skipping the interpreter's teardown (freeing every object and module one by one: 5-15 ms
    after a build, all of it after the work is done). Only when nothing is left to finish: the standard
    streams flush, `atexit` handlers run (e.g. a buffered display's last lines), and no thread but daemons
    (workers blocked on a queue) is alive. Otherwise it returns and Python exits as usual."""
    import atexit
    import threading

    if any(not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
        return
    try:
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:  # e.g. a closed pipe: let the usual exit path report or ignore it
        return
    os._exit(code)


def _main(args: list[str]) -> int:
    state_dir: Path | None = None
    try:
        command, ns, req = parse(args)
        agentfile = getattr(req, "agentfile", None) or Path("Agentfile")
        state_dir = (getattr(req, "directory", Path(".")) / agentfile).parent / ".agentmake"  # (its root's)
        mark("parsed")
        from agentmake.invocation import current
        from agentmake.workflow import Request
        from agentmake.workflow.again import invocation_of

        assert isinstance(req, Request)
        with current(invocation_of(req)):  # (what every hint's command line repeats: `invocation`)
            return _run(command, ns, req)
    except SystemExit as e:  # argparse: --help, --version, or a usage error (already printed)
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    except AgentmakeError as e:
        print("\n".join(term_lines(e.render())), file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        return interrupted()
    except BrokenPipeError:
        return 0
    except Exception as e:  # the machine, not the request: a full disk, a read-only or damaged state
        if caused_by_interrupt(e):  # (Ctrl-C inside a class's creation: see `agentmake.interrupts`)
            return interrupted()
        if type(e).__module__ != "sqlite3" and not isinstance(e, OSError):
            raise
        if type(e).__module__ != "sqlite3":
            print(term_safe(f"agentmake: error: cannot use a file: {e}"), file=sys.stderr)
            return 2
        from agentmake.store.schema import with_advice

        message = with_advice(f"cannot use the state database (.agentmake/state.db): {e}", e, state_dir)
        print(term_safe(f"agentmake: error: {message}"), file=sys.stderr)
        return 2
