"""One Agentfile built under two configurations (variables set on the command line: `lang=fr`) makes each
one's outputs, at paths that hold the value (`out/${lang}/`, as examples/translate builds under
`build/${lang}/`): neither's are the other's leftovers. A build under one warns of none of the other's outputs
that a task reads, `clean --leftovers` under one removes none of them, and going back to the other runs
nothing (its outputs are as it left them). An output renamed in the Agentfile under the same variables is
still a leftover. Real builds of the CLI."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

# `t` translates each source of the language; `all` reads the outputs of every language (a glob): under
# lang=fr it reads out/es/*.md, which only a build under lang=es makes
BOTH = """\
lang = es
agent t:
    inputs = src/${lang}/{name}.md
    outputs = out/${lang}/{name}.md
    run = "cp {input} {output}"
agent all:
    inputs = out/*/*.md
    outputs = index-${lang}.txt
    run = "cat {inputs} > {output}"
"""
# `t` alone: going back to lang=es has nothing new to read
ONE = BOTH.split("agent all:")[0]


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("src/es/a.md", "hola\n")
    e2e.write("src/es/b.md", "adios\n")  # (no French b: t:b is a task of lang=es's graph alone)
    e2e.write("src/fr/a.md", "bonjour\n")
    return e2e


def _stats(e2e: E2E, *rels: str) -> dict[str, tuple[int, int, str]]:
    """(inode, mtime_ns, content) of each file: whether anything removed, restored or rewrote it."""
    found = {}
    for rel in rels:
        st = os.stat(e2e.root / rel)
        found[rel] = (st.st_ino, st.st_mtime_ns, e2e.read(rel))
    return found


SPANISH = ("out/es/a.md", "out/es/b.md")


def test_a_build_under_other_variables_warns_of_none_of_the_first_ones_outputs(e2e: E2E) -> None:
    e2e.write("Agentfile", BOTH)
    assert e2e.am().code == 0
    for _ in range(2):  # (the build that switches, and the next, no longer answered by a build stamp)
        run = e2e.am("lang=fr")
        assert run.code == 0 and "left over" not in run.err and "clean --leftovers" not in run.err, run
    assert e2e.read("index-fr.txt") == "hola\nadios\nbonjour\n"  # (it reads them: the glob's files)
    for args in (("status",), ("-n",)):
        run = e2e.am(*args, "lang=fr")
        assert "left over" not in run.text, run


def test_clean_leftovers_under_other_variables_removes_none_of_the_first_ones_outputs(e2e: E2E) -> None:
    e2e.write("Agentfile", BOTH)
    assert e2e.am().code == 0
    assert e2e.am("lang=fr").code == 0
    before = _stats(e2e, *SPANISH, "index-es.txt")
    run = e2e.am("clean", "--leftovers", "-n", "lang=fr")
    assert run.code == 0 and "would remove 0 leftover outputs" in run.out and "out/es" not in run.text, run
    run = e2e.am("clean", "--leftovers", "lang=fr")
    assert run.code == 0 and "removed 0 leftover outputs" in run.out, run
    assert _stats(e2e, *SPANISH, "index-es.txt") == before


def test_a_plain_clean_takes_the_outputs_of_its_variables_for_what_agentmake_made(e2e: E2E) -> None:
    """After a build under lang=fr, the records list its paths: a clean under lang=es removes the Spanish
    outputs as agentmake made them (no copy saved, as of hand edits), as it did before that build."""
    e2e.write("Agentfile", ONE)
    assert e2e.am().code == 0
    assert e2e.am("lang=fr").code == 0
    run = e2e.am("clean", "-n", "t:a")
    assert run.code == 0 and run.out.splitlines()[0] == "would remove out/es/a.md", run
    run = e2e.am("clean")
    assert run.code == 0 and "removed 2 outputs" in run.out and "copy" not in run.text, run
    assert not (e2e.root / ".agentmake" / "edited").exists() and e2e.exists("out/fr/a.md")


def test_going_back_to_the_first_variables_runs_and_restores_nothing(e2e: E2E) -> None:
    e2e.write("Agentfile", ONE)
    assert e2e.am().code == 0
    assert e2e.am("lang=fr").code == 0
    assert e2e.am("clean", "--leftovers", "lang=fr").code == 0
    before = _stats(e2e, *SPANISH)
    run = e2e.am("-n")
    assert run.code == 0 and "0 to run, 2 up to date" in run.out, run
    summary = e2e.am().summary
    assert (summary.ran, summary.cached, summary.up_to_date) == (0, 0, 2)
    assert _stats(e2e, *SPANISH) == before  # neither restored nor rewritten
    # and back to French, likewise: the Spanish build took none of its outputs for leftovers
    french = _stats(e2e, "out/fr/a.md")
    assert e2e.am("clean", "--leftovers").code == 0
    summary = e2e.am("lang=fr").summary
    assert (summary.ran, summary.cached, summary.up_to_date) == (0, 0, 1)
    assert _stats(e2e, "out/fr/a.md") == french


def test_an_output_renamed_under_the_same_variables_is_still_a_leftover(e2e: E2E) -> None:
    e2e.write("Agentfile", BOTH)
    assert e2e.am().code == 0
    assert e2e.am("lang=fr").code == 0
    e2e.write("Agentfile", BOTH.replace("outputs = out/${lang}/{name}.md", "outputs = res/${lang}/{name}.md"))
    run = e2e.am("lang=fr")
    assert run.code == 0, run
    # (`all` reads out/*/*.md: the French file the Agentfile renamed away, not the Spanish ones)
    assert "out/fr/a.md is left over from t:a, which no longer makes it" in run.err, run  # (one: own words)
    assert "out/es" not in run.err, run
    run = e2e.am("clean", "--leftovers", "lang=fr")
    assert run.code == 0 and "removed 1 leftover output (1 renamed in the Agentfile)" in run.out, run
    assert not e2e.exists("out/fr/a.md") and e2e.exists("res/fr/a.md")
    assert e2e.exists("out/es/a.md") and e2e.exists("out/es/b.md")
    # under lang=es they are its renamed outputs: its clean removes them
    assert e2e.am().code == 0
    run = e2e.am("clean", "--leftovers")
    assert run.code == 0 and "removed 2 leftover outputs" in run.out, run
    assert not e2e.exists("out/es/a.md") and not e2e.exists("out/es/b.md") and e2e.exists("res/es/b.md")


def test_settings_on_the_command_line_are_no_other_configuration(e2e: E2E) -> None:
    """`jobs=2` changes no output: an output renamed in a build given it is a leftover of a plain build."""
    e2e.write("Agentfile", ONE)
    assert e2e.am().code == 0
    e2e.write("Agentfile", ONE.replace("outputs = out/", "outputs = res/"))
    assert e2e.am("jobs=2").code == 0
    run = e2e.am("clean", "--leftovers", "-n")
    assert run.code == 0 and "would remove 2 leftover outputs" in run.out, run


def test_a_state_from_before_records_named_their_variables_loads_and_judges_as_before(e2e: E2E) -> None:
    """An older state.db (no `config` column in `tasks` nor `strays`): the columns are added on open; its
    rows, of no known configuration, are every configuration's, as they were (a rename is a leftover)."""
    e2e.write("Agentfile", ONE)
    assert e2e.am("lang=fr").code == 0
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn:
        conn.execute("ALTER TABLE tasks DROP COLUMN config")
        conn.execute("ALTER TABLE strays DROP COLUMN config")
        conn.commit()
    e2e.write("Agentfile", ONE.replace("outputs = out/", "outputs = res/"))
    summary = e2e.am("lang=fr").summary
    assert summary.failed == 0
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn:
        configs = dict(conn.execute("SELECT path, config FROM strays").fetchall())
    assert configs == {"out/fr/a.md": None}  # (the row it listed had none)
    run = e2e.am("clean", "--leftovers")  # (under no variables: the row's are unknown, so any)
    assert run.code == 0 and "removed 1 leftover output" in run.out, run
    assert not e2e.exists("out/fr/a.md") and e2e.exists("res/fr/a.md")


def test_going_back_runs_nothing_even_with_the_first_ones_results_gone_from_the_cache(e2e: E2E) -> None:
    """`cache_size = 0`: each build trims the cache to the results tasks are recorded with (as a full cache
    trims the least recently used entries: lang=es's while building lang=fr). Back to lang=es, each task's
    outputs hold what it made there under the key it has again: up to date, not run (paid) again."""
    e2e.write("Agentfile", "cache_size = 0\n" + ONE)
    assert e2e.am().code == 0
    assert e2e.am("lang=fr").code == 0
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn:
        # (left: the results tasks are recorded with, lang=fr's t:a and lang=es's t:b, which fr has not)
        assert conn.execute("SELECT count(*) FROM cache").fetchone() == (2,)
    before = _stats(e2e, *SPANISH)
    run = e2e.am("-n")
    assert run.code == 0 and "0 to run, 2 up to date" in run.out, run
    summary = e2e.am().summary
    assert (summary.ran, summary.cached, summary.up_to_date) == (0, 0, 2)
    assert _stats(e2e, *SPANISH) == before
    # (a file changed since is not what it made: run)
    e2e.write("out/fr/a.md", "edited\n")
    summary = e2e.am("lang=fr").summary
    assert (summary.ran, summary.up_to_date) == (1, 0)


@pytest.mark.parametrize("first, then", [(("lang=es",), ()), ((), ("lang=es",))])
def test_a_variable_given_the_agentfiles_own_value_is_no_other_configuration(
    e2e: E2E, first: tuple[str, ...], then: tuple[str, ...]
) -> None:
    """`lang=es` where the Agentfile says `lang = es` builds the very graph a plain build does: an output
    renamed between the two is a leftover of either (before, `lang=es` was another configuration than
    none: the plain build, its clean --leftovers and its warnings kept quiet of out/es/, which a glob
    reads)."""
    e2e.write("Agentfile", BOTH)
    assert e2e.am(*first).code == 0
    e2e.write("Agentfile", BOTH.replace("outputs = out/${lang}/{name}.md", "outputs = res/${lang}/{name}.md"))
    run = e2e.am(*then)
    said = "out/es/a.md, out/es/b.md are left over from tasks that no longer make them"  # (one line for both)
    assert run.code == 0 and said in run.err, run
    run = e2e.am("clean", "--leftovers", *then)
    assert run.code == 0 and "removed 2 leftover outputs (2 renamed in the Agentfile)" in run.out, run
    assert not e2e.exists("out/es/a.md") and e2e.exists("res/es/a.md")


def test_a_variable_the_agentfile_derives_from_another_compares_by_its_value(e2e: E2E) -> None:
    """`dir=out/es`, where the Agentfile derives `dir = out/${lang}` (es): the same value, the same graph."""
    text = "lang = es\ndir = out/${lang}\n" + ONE.split("\n", 1)[1].replace("out/${lang}", "${dir}")
    e2e.write("Agentfile", text)
    assert e2e.am("dir=out/es").code == 0
    e2e.write("Agentfile", text.replace("${dir}/{name}", "${dir}/x-{name}"))
    assert e2e.am().code == 0
    run = e2e.am("clean", "--leftovers", "-n")
    assert run.code == 0 and "would remove 2 leftover outputs" in run.out, run
