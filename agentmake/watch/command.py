"""The `agentmake watch` command (`watch`): the main thread's loop, which waits for the watcher's changes,
reloads the Agentfile and builds as they call for, until Ctrl-C, SIGTERM or SIGHUP stops it: during a build,
the build's lines and summary say what it interrupted; else (idle, or loading the Agentfile) it says
`agentmake: interrupted`, as every other command does, whichever of the three it was (exit 130 either way)."""

from __future__ import annotations

import queue
import signal
import sys

from agentmake.interrupts import interrupted, restore_signals, stop_on_signals
from agentmake.syntax.specs import build_settings
from agentmake.watch.session import WatchSession
from agentmake.workflow import EXIT_FAILED, EXIT_INTERRUPTED, Request


def watch(req: Request) -> int:
    """Build, then wait for changes and build what they made stale, until stopped; the exit code."""
    # a setting given a bad value on the command line (`jobs=abc`): no edit of a file can fix it, so it is a
    # bad request (exit 2), not an Agentfile to wait for
    build_settings({}, req.overrides)
    stopping = stop_on_signals()
    try:
        session = WatchSession(req)
    except BaseException:
        restore_signals(stopping)
        raise
    try:
        session.watcher.thread.start()
        # not before the watcher watches: a save made during the first build, or once "watching" is said, that
        # came before the watches were in place was never seen (a large tree takes a while to watch)
        while not session.watcher.ready.wait(0.5):
            pass
        if session.watcher.failed is not None:  # (it cannot watch: neither build nor say it is watching)
            print(f"agentmake: error: {session.watcher.failed}", file=sys.stderr)
            return EXIT_FAILED
        loaded = session.load()  # (when it fails, it says so and that it is watching for the fix)
        if loaded and session.build() == EXIT_INTERRUPTED:
            return EXIT_INTERRUPTED
        if loaded:
            print(f"agentmake: watching for changes ({_how_to_stop()})", file=sys.stderr)
        said_how_to_stop = loaded  # (a session that starts broken says it once the Agentfile loads)
        while True:
            try:
                first = session.watcher.changes.get(timeout=0.5)
            except queue.Empty:
                continue
            if session.watcher.failed is not None:
                print(f"agentmake: error: {session.watcher.failed}", file=sys.stderr)
                return EXIT_FAILED
            paths = _drain(session.watcher.changes, first)
            changes = session.relevant(paths)
            reload, rebuild = changes.regraph, changes.rebuild
            before = session.shape() if session.project is not None else None
            was_broken = session.broken
            # (still broken: a change of a file that plans nothing, a log this watch writes into the
            # project, says the error only if it is another one; else each line said would say it again)
            if reload and not session.load(quiet=was_broken and not session.plans(paths)):
                continue
            if was_broken and (reload or session.load(quiet=True)):
                # it loads again: what was missing came (a prompt or include it names, created after the
                # Agentfile), or what was in the way went; only the last good project was built since
                rebuild = True
            if changes.maybe_new and session.shape() != before:
                rebuild = True  # e.g. a new document matched a fan-out; a log file written here does not
            # (a save without a change of content, or an edit undone before this, builds nothing: `build`)
            # (loading again after an error: say so with a build; still broken, a save that changes nothing
            # builds nothing, as ever)
            after = None if was_broken and not session.broken else paths
            if rebuild and after is None and said_how_to_stop:  # (what a build names first: why it runs)
                print(f"agentmake: {session.path.name} loads again: building", file=sys.stderr, flush=True)
            if rebuild and session.build(after) == EXIT_INTERRUPTED:
                return EXIT_INTERRUPTED
            if not said_how_to_stop and session.project is not None:
                print(f"agentmake: watching for changes ({_how_to_stop()})", file=sys.stderr)
                said_how_to_stop = True
    except KeyboardInterrupt:  # (idle, or loading: no build's lines said it was stopped)
        return interrupted()
    finally:
        session.close()
        restore_signals(stopping)


def _how_to_stop() -> str:
    """`Ctrl-C to stop`, unless SIGINT is ignored (a background job of a script: POSIX starts it so, and
    Python leaves it ignored), which no Ctrl-C or `kill -INT` then stops: SIGTERM does."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        return "SIGTERM to stop: SIGINT is ignored"
    return "Ctrl-C to stop"


def _drain(changes: queue.Queue[set[str]], first: set[str]) -> set[str]:
    """`first` plus whatever else is already queued (watchfiles has debounced each batch already)."""
    paths = set(first)
    while True:
        try:
            paths |= changes.get_nowait()
        except queue.Empty:
            return paths
