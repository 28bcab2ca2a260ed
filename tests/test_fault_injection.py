"""Faults injected into the project's file system and state between real builds (the fake agent CLIs count
the calls paid for): a fault is reported clearly, and never costs a paid result."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, one_agent


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def test_an_output_that_cannot_be_written_fails_before_the_agent_is_paid(e2e: E2E) -> None:
    """The answer of a plain-text runner cannot be salvaged from its log: if its output cannot be written
    (its directory is a file here; a read-only directory alike), the call must not be made at all."""
    e2e.write(
        "Agentfile",
        """\
        agent one:
            runner = llm
            inputs = src.md
            outputs = out/sub/a.md
            prompt = \"\"\"
                FAKE: label=one
                {{ read(input) }}
                \"\"\"
        """,
    )
    e2e.write("src.md", "hello\n")
    e2e.write("out/sub", "a file where the output's directory should be\n")
    run = e2e.am()
    assert run.code == 1, run
    assert e2e.calls() == [], run  # nothing paid for an answer that could not be kept
    assert "cannot write output out/sub/a.md" in run.text and "internal error" not in run.text, run
    (e2e.root / "out/sub").unlink()
    run = e2e.am()
    assert run.code == 0, run
    assert e2e.calls() == ["one"] and "hello" in e2e.read("out/sub/a.md")
    assert not [p for p in (e2e.root / "out/sub").iterdir() if ".agentmake-tmp-" in p.name]


def test_a_state_directory_made_a_file_is_named_not_an_internal_error(e2e: E2E) -> None:
    """`.agentmake/logs` replaced by a file: the task fails naming the path (not "internal error:
    FileExistsError(17, 'File exists')", which says neither what nor where), and runs once it is back."""
    e2e.write(
        "Agentfile",
        """\
        agent up:
            run = "tr a-z A-Z < {input} > {output}"
            inputs = src.txt
            outputs = out/up.txt
        """,
    )
    e2e.write("src.txt", "hello\n")
    (e2e.root / ".agentmake").mkdir()
    (e2e.root / ".agentmake/logs").write_text("")
    run = e2e.am()
    assert run.code == 1, run
    assert "internal error" not in run.text and ".agentmake/logs" in run.text, run
    assert not e2e.exists("out/up.txt")
    (e2e.root / ".agentmake/logs").unlink()
    run = e2e.am()
    assert run.code == 0, run
    assert e2e.read("out/up.txt") == "HELLO\n"


def test_a_state_database_damaged_inside_says_what_to_do(e2e: E2E) -> None:
    """Damage past the header passes the check on open and breaks the first real query: every command then
    fails, for ever; the one-line error must say how to get out (move the file aside), and doing so costs no
    call that was paid for."""
    e2e.write("Agentfile", one_agent(), dedent=False)
    e2e.write("src.md", "hello\n")
    assert e2e.am().code == 0
    db = e2e.root / ".agentmake/state.db"
    with db.open("r+b") as fh:
        fh.seek(2 * 4096)
        fh.write(b"\xff" * 4096)
    (e2e.root / ".agentmake/stamp").unlink(missing_ok=True)
    e2e.reset_calls()
    for args in ((), ("status",)):
        run = e2e.am(*args)
        assert run.code == 2 and "Traceback" not in run.text, run
        assert f"move it aside (mv {db} {db}.damaged; its -wal and -shm files too, if any)" in run.err, run
    db.rename(db.with_name("state.db.damaged"))
    run = e2e.am()
    assert run.code == 0, run
    assert e2e.calls() == []  # the answer in the logs is reused


@pytest.mark.parametrize(
    ("error", "advice"),
    [
        ("database is locked", "another program holds a lock on it"),
        ("database or disk is full", "free some disk space"),
        ("attempt to write a readonly database", "make .agentmake and the state.db files in it writable"),
        ("no such column: memo", "the file is damaged, and agentmake does not start afresh by itself"),
        ("file is not a database", "move it aside (mv .agentmake/state.db .agentmake/state.db.damaged;"),
    ],
)
def test_each_state_database_failure_says_what_to_do(error: str, advice: str) -> None:
    import sqlite3

    from agentmake.store.schema import with_advice

    text = with_advice("cannot use the state database", sqlite3.OperationalError(error), None)
    assert text.startswith("cannot use the state database: ") and advice in text, text


def test_a_state_database_without_its_tasks_table_keeps_its_cache(e2e: E2E) -> None:
    """`tasks` dropped (by hand, a half restore): every command failed with "no such table: tasks", for ever.
    The table is made again, empty, and the rest kept: the cache restores the outputs with no call, even for
    a plain-text runner (whose answers are never salvaged from the logs)."""
    import sqlite3

    e2e.write("Agentfile", one_agent("llm"), dedent=False)
    e2e.write("src.md", "hello\n")
    assert e2e.am().code == 0
    good = e2e.read("out/a.md")
    conn = sqlite3.connect(e2e.root / ".agentmake/state.db")
    conn.execute("DROP TABLE tasks")
    conn.commit()
    conn.close()
    (e2e.root / ".agentmake/stamp").unlink(missing_ok=True)
    (e2e.root / "out/a.md").unlink()
    e2e.reset_calls()
    run = e2e.am()
    assert run.code == 0, run
    assert e2e.calls() == [] and e2e.read("out/a.md") == good, run
    assert e2e.am("status").code == 0


def test_an_output_path_taken_by_a_directory_fails_before_the_agent_is_paid(e2e: E2E) -> None:
    """A directory where the output goes: the answer could never be renamed into place, and a plain-text
    runner's answer is not salvaged from its log, so the call must not be made."""
    e2e.write("Agentfile", one_agent("llm"), dedent=False)
    e2e.write("src.md", "hello\n")
    (e2e.root / "out/a.md").mkdir(parents=True)
    run = e2e.am()
    assert run.code == 1 and e2e.calls() == [], run
    assert "output out/a.md is a directory: remove it, or name another output" in run.text, run
    (e2e.root / "out/a.md").rmdir()
    assert e2e.am().code == 0 and e2e.calls() == ["one"] and "hello" in e2e.read("out/a.md")


def test_a_directory_at_an_output_fails_the_task_before_it_runs_or_is_restored(e2e: E2E) -> None:
    """A shell agent ran its command and a result in the cache was tried before the directory was found;
    `-n` called the output "missing". Now `-n` names the directory and the build fails the task at once."""
    e2e.write(
        "Agentfile",
        """        agent a:
            inputs = x.txt
            outputs = out/a.txt
            run = "echo ran >> runs.log; cp {input} {output}"
        """,
    )
    e2e.write("x.txt", "one\n")
    assert e2e.am().code == 0
    e2e.write("x.txt", "two\n")
    assert e2e.am().code == 0 and e2e.read("runs.log") == "ran\nran\n"
    e2e.write("x.txt", "one\n")  # (its result is in the cache)
    (e2e.root / "out/a.txt").unlink()
    (e2e.root / "out/a.txt").mkdir()
    dry = e2e.am("-n")
    assert "would restore a: input x.txt changed" in dry.out, dry
    assert "output out/a.txt is a directory, not a file; result found in the cache" in dry.out, dry
    run = e2e.am()
    assert run.code == 1, run
    assert "a: output out/a.txt is a directory: remove it, or name another output" in run.text, run
    assert e2e.read("runs.log") == "ran\nran\n" and (e2e.root / "out/a.txt").is_dir(), run
    e2e.write("x.txt", "three\n")  # (not in the cache: it would run)
    run = e2e.am()
    assert run.code == 1 and "output out/a.txt is a directory" in run.text
    assert e2e.read("runs.log") == "ran\nran\n", run


def test_an_output_that_cannot_be_read_is_named_as_the_output(e2e: E2E) -> None:
    """An output is read before its agent runs again (to keep a hand edit); if it cannot be read (a link
    loop here, as root ignores permissions; an unreadable file alike), the task fails naming that output,
    not "cannot read inputs", and its dependent does not run."""
    e2e.write(
        "Agentfile",
        """\
        agent a:
            inputs = x.txt
            outputs = out/a.txt
            run = "cp {input} {output}"
        agent b:
            inputs = out/a.txt
            outputs = out/b.txt
            run = "cp {input} {output}"
        """,
    )
    e2e.write("x.txt", "one\n")
    assert e2e.am("b").code == 0
    looped = e2e.root / "out/a.txt"
    looped.unlink()
    looped.symlink_to("a.txt")
    e2e.write("x.txt", "two\n")
    run = e2e.am("b")
    assert run.code == 1, run
    assert "a: cannot read output out/a.txt: Too many levels of symbolic links" in run.text, run
    assert "cannot read inputs" not in run.text and e2e.read("out/b.txt") == "one\n", run


def test_more_jobs_than_open_files_allow_run_fewer_at_once_instead_of_failing(tmp_path: Path) -> None:
    """Under a hard limit of 120 open files, 40 tasks at once (3 descriptors each) would fail for good with
    "Too many open files"; agentmake runs fewer at once, says why, and every task succeeds."""
    import resource
    import subprocess
    import sys

    (tmp_path / "in").mkdir()
    for i in range(40):
        (tmp_path / "in" / f"{i}.txt").write_text(f"{i}\n")
    (tmp_path / "Agentfile").write_text(
        "agent s:\n    inputs = in/{n}.txt\n    outputs = out/{n}.txt\n"
        '    run = "sleep 0.5; cp {input} {output}"\n'
    )

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (120, 120))

    proc = subprocess.run(
        [sys.executable, "-m", "agentmake", "-j", "40"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limit,
    )
    assert proc.returncode == 0, proc.stderr
    assert "40 ran, 0 cached, 0 up to date, 0 failed" in proc.stdout, proc.stdout + proc.stderr
    assert "running 14 tasks at once, not 40: the limit on open files is 120" in proc.stderr, proc.stderr
