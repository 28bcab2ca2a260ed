"""End-to-end (real CLI subprocess, fake agents): what reruns and what does not, after real file edits."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import textwrap
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, fanout_agentfile


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def fanout(e2e: E2E, names: str = "abc", extra: str = "") -> None:
    e2e.write("Agentfile", fanout_agentfile(extra))
    for n in names:
        e2e.write(f"docs/{n}.md", f"doc {n}\n")


def test_touch_edit_revert_cache(e2e: E2E) -> None:
    fanout(e2e)
    first = e2e.am()
    assert first.code == 0, first
    assert (first.summary.ran, first.summary.failed) == (4, 0)
    assert sorted(e2e.calls()) == ["a", "b", "c"]
    built = {n: e2e.read(f"build/{n}.md") for n in "abc"}
    assert "Translate into French:\ndoc b" in built["b"]

    e2e.reset_calls()
    for n in "abc":
        e2e.touch(f"docs/{n}.md")
    touched = e2e.am()
    assert touched.code == 0, touched
    assert (touched.summary.ran, touched.summary.cached, touched.summary.up_to_date) == (0, 0, 4)
    assert e2e.calls() == []

    e2e.write("docs/b.md", "doc b, edited\n")
    edited = e2e.am("-v")  # (-v: a line for each task up to date)
    assert edited.code == 0, edited
    assert edited.with_state("done") == {"translate:b", "summary"}
    assert edited.with_state("up-to-date") == {"translate:a", "translate:c"}
    assert e2e.calls() == ["b"]
    assert "doc b, edited" in e2e.read("build/b.md")

    e2e.reset_calls()
    e2e.write("docs/b.md", "doc b\n")
    reverted = e2e.am()
    assert reverted.code == 0, reverted
    assert e2e.calls() == [], "a reverted input must come back from the cache without an agent call"
    assert "translate:b" in reverted.with_state("cached")
    assert reverted.summary.cached >= 1 and reverted.summary.failed == 0
    assert e2e.read("build/b.md") == built["b"]
    assert "doc b, edited" not in e2e.read("SUMMARY.md")


def test_prompt_model_variable_and_comment_changes(e2e: E2E) -> None:
    agentfile = textwrap.dedent(
        '''\
        # two agents on two runners
        lang = "French"
        tone = "formal"

        runner claude:
            model = sonnet

        agent translate:
            inputs = docs/{name}.md
            outputs = build/{name}.md
            prompt = prompts/translate.md

        agent polish:
            runner = codex
            inputs = docs/{name}.md
            outputs = polished/{name}.md
            prompt = """
                FAKE: label=polish-{{ name }}
                Polish in a {{ tone }} tone: {{ read(input) }}
                """
        '''
    )
    e2e.write("Agentfile", agentfile)
    e2e.write(
        "prompts/translate.md", "FAKE: label=tr-{{ name }}\nTranslate into {{ lang }}: {{ read(input) }}\n"
    )
    for n in "ab":
        e2e.write(f"docs/{n}.md", f"doc {n}\n")
    assert e2e.am().code == 0
    assert len(e2e.calls()) == 4

    def rerun() -> set[str]:
        e2e.reset_calls()
        run = e2e.am()
        assert run.code == 0, run
        assert run.summary.ran == len(e2e.calls())
        return run.with_state("done")

    # a comment-only and whitespace-only edit of the Agentfile: nothing runs
    e2e.write("Agentfile", "# reviewed\n" + agentfile.replace("# two agents", "#   2 agents") + "\n\n# end\n")
    assert rerun() == set()
    # the prompt file of one agent
    e2e.write("prompts/translate.md", "FAKE: label=tr-{{ name }}\nTranslate well into {{ lang }}:\n")
    assert rerun() == {"translate:a", "translate:b"}
    # the model of the claude runner: only claude's agents
    e2e.write("Agentfile", agentfile.replace("model = sonnet", "model = opus"))
    assert rerun() == {"translate:a", "translate:b"}
    explain = e2e.am("explain", "translate:a")
    assert explain.code == 0 and "up to date" in explain.out, explain
    # a variable used by polish's prompt only
    e2e.write("Agentfile", agentfile.replace("model = sonnet", "model = opus").replace("formal", "casual"))
    assert rerun() == {"polish:a", "polish:b"}
    # a variable used by translate's prompt file, set from the command line
    e2e.reset_calls()
    run = e2e.am("lang=German")
    assert run.with_state("done") == {"translate:a", "translate:b"}, run
    assert "German" in e2e.read("build/a.md")


def test_hand_edited_output_is_kept_then_saved_by_B(e2e: E2E) -> None:
    fanout(e2e, "ab")
    assert e2e.am().code == 0
    e2e.write("build/a.md", "my careful fix\n")
    e2e.reset_calls()
    kept = e2e.am()
    assert kept.code == 0, kept
    assert e2e.read("build/a.md") == "my careful fix\n"
    assert e2e.calls() == []
    assert "build/a.md" in kept.text and "edited by hand" in kept.text, kept
    status = e2e.am("status")
    assert "edited" in status.out, status

    forced = e2e.am("-B", "translate:a")
    assert forced.code == 0, forced
    assert e2e.calls() == ["a"]
    assert e2e.read("build/a.md").startswith("ANSWER:")
    saved = [p for p in e2e.files(".agentmake/edited/**/*") if e2e.read(p) == "my careful fix\n"]
    assert saved, (
        f"the hand-edited copy was not saved anywhere under .agentmake: {e2e.files('.agentmake/**/*')}"
    )
    assert any(Path(p).name in forced.text or p in forced.text for p in saved), (
        f"the run does not say where the edited copy went ({saved}):\n{forced}"
    )


ONE = '''\
    mode = "x"
    agent one:
        inputs = src.txt
        outputs = out/a.txt
        prompt = """
            FAKE: label=one {{ mode }}
            Write from {{ read(input) }}
            """
    '''


def _status_row(e2e: E2E, task_id: str) -> tuple[str, str | None]:
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn:
        return conn.execute("SELECT status, error FROM tasks WHERE task_id = ?", (task_id,)).fetchone()


def test_a_hand_edit_is_kept_after_a_failed_build_with_other_settings(e2e: E2E) -> None:
    """Built with one setting, failed with another, back to the first: up to date, and recorded so (no longer
    `failed`), so a later hand edit of the output is kept, as after any good build."""
    e2e.write("src.txt", "v1\n")
    e2e.write("Agentfile", ONE)
    assert e2e.am().code == 0
    built = e2e.read("out/a.txt")
    assert e2e.am("mode=fail=401").code == 1  # (auth: fails at once, no retries)
    assert _status_row(e2e, "one")[0] == "failed"
    back = e2e.am()
    assert back.code == 0 and back.summary.up_to_date == 1, back
    assert _status_row(e2e, "one") == ("done", None), "the outputs are as the last good build made them"
    e2e.write("out/a.txt", "my edit\n")
    e2e.reset_calls()
    run = e2e.am()
    assert run.code == 0 and run.summary.up_to_date == 1, run
    assert e2e.read("out/a.txt") == "my edit\n", f"hand edit replaced:\n{run}"
    assert "edited by hand; keeping it" in run.text and e2e.calls() == [], run
    (e2e.root / "out/a.txt").unlink()  # a missing output is still made again (restored: no call)
    again = e2e.am()
    assert again.code == 0 and again.summary.cached == 1 and e2e.read("out/a.txt") == built, again


def test_a_failed_record_is_not_made_done_while_its_output_differs(e2e: E2E) -> None:
    """Back to the settings of the last good build, but the output is not as that build made it: the task
    is not up to date and its record stays `failed` until the task is made again."""
    e2e.write("src.txt", "v1\n")
    e2e.write("Agentfile", ONE)
    assert e2e.am().code == 0
    assert e2e.am("mode=fail=401").code == 1
    e2e.write("out/a.txt", "changed meanwhile\n")
    assert e2e.am("-n").code == 0
    assert _status_row(e2e, "one")[0] == "failed"
    run = e2e.am()
    assert run.code == 0 and run.summary.cached == 1 and "saved" in run.text, run
    assert _status_row(e2e, "one") == ("done", None)


def test_early_cutoff_identical_upstream_output(e2e: E2E) -> None:
    e2e.write(
        "Agentfile",
        '''\
        agent extract:
            inputs = notes.txt
            outputs = facts.txt
            prompt = """
                FAKE: label=extract answer=the facts
                {{ read(input) }}
                """

        agent write:
            inputs = facts.txt
            outputs = article.txt
            prompt = """
                FAKE: label=write
                Write about {{ read(input) }}
                """
        ''',
    )
    e2e.write("notes.txt", "first notes\n")
    assert e2e.am().code == 0
    e2e.write("notes.txt", "different notes, same facts\n")
    e2e.reset_calls()
    run = e2e.am("-v")  # (-v: a line for each task up to date)
    assert run.code == 0, run
    assert e2e.calls() == ["extract"]
    assert run.states == {"extract": "done", "write": "up-to-date"}
    assert (run.summary.ran, run.summary.up_to_date) == (1, 1)


def test_clean_and_clean_cache(e2e: E2E) -> None:
    fanout(e2e, "ab")
    assert e2e.am().code == 0
    clean = e2e.am("clean")
    assert clean.code == 0, clean
    assert not any(e2e.exists(p) for p in ("build/a.md", "build/b.md", "SUMMARY.md"))
    assert e2e.exists("docs/a.md")
    e2e.reset_calls()
    restored = e2e.am()
    assert restored.code == 0 and e2e.calls() == [], restored
    assert {"translate:a", "translate:b"} <= restored.with_state("cached")

    emptied = e2e.am("clean", "--cache")
    assert emptied.code == 0, emptied
    assert not e2e.exists("build/a.md")
    again = e2e.am()
    assert again.code == 0, again
    assert sorted(e2e.calls()) == ["a", "b"], "after clean --cache the agents must run again"
    assert again.summary.cached == 0


def saved_copies(e2e: E2E) -> dict[str, str]:
    """Copy path (relative to .agentmake/edited/<stamp>/) -> content."""
    base = e2e.root / ".agentmake" / "edited"
    found = sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else []
    return {"/".join(p.relative_to(base).parts[1:]): p.read_text() for p in found}


def test_a_file_at_an_output_path_before_the_first_build_is_saved_not_lost(e2e: E2E) -> None:
    fanout(e2e, "ab")
    e2e.write("build/a.md", "notes I wrote before agentmake\n")  # the LLM agent's output path
    e2e.write("SUMMARY.md", "my own summary\n")  # a plain report's
    run = e2e.am()
    assert run.code == 0, run
    assert e2e.read("build/a.md").startswith("ANSWER:") and "my own summary" not in e2e.read("SUMMARY.md")
    assert saved_copies(e2e) == {
        "build/a.md": "notes I wrote before agentmake\n",
        "SUMMARY.md": "my own summary\n",
    }
    assert "output agentmake did not make saved: build/a.md → " in run.err, run
    assert "output agentmake did not make saved: SUMMARY.md → " in run.err, run
    again = e2e.am()
    assert again.code == 0 and again.summary.up_to_date == 3 and "did not make" not in again.err, again


def test_outputs_made_again_with_the_same_content_after_the_state_is_lost_are_not_copied(e2e: E2E) -> None:
    fanout(e2e, "ab")
    assert e2e.am().code == 0
    shutil.rmtree(e2e.root / ".agentmake")  # every output is now a file agentmake has no record of
    run = e2e.am()
    assert run.code == 0 and run.summary.ran == 3, run
    # the translations came out the same: nothing to lose; the report (it names its run) is kept as it was
    assert list(saved_copies(e2e)) == ["SUMMARY.md"], run


def test_an_output_restored_from_the_cache_over_a_file_agentmake_did_not_make_saves_it(e2e: E2E) -> None:
    agentfile = 'agent up:\n  inputs = src.txt\n  outputs = out.txt\n  run = "cp {input} {output}"\n'
    e2e.write("Agentfile", agentfile)
    e2e.write("src.txt", "one\n")
    assert e2e.am().code == 0
    e2e.write("Agentfile", e2e.read("Agentfile").replace("agent up:", "agent upper:"))  # a new task, same key
    # (and no record of `up`, which would stand for it: a renamed agent keeps its output's hand edit)
    assert e2e.am("clean", "--leftovers").code == 0
    e2e.write("out.txt", "typed over it\n")
    run = e2e.am()
    assert run.code == 0 and run.summary.cached == 1, run
    assert e2e.read("out.txt") == "one\n"
    assert saved_copies(e2e) == {"out.txt": "typed over it\n"}, run
    assert "output agentmake did not make saved: out.txt → " in run.err, run


def test_a_multi_output_agent_saves_a_file_agentmake_did_not_make_before_it_writes(e2e: E2E) -> None:
    e2e.write(
        "Agentfile",
        '''\
        agent pair:
            inputs = src.txt
            outputs = out/a.txt out/b.txt
            prompt = """
                FAKE: label=pair write=out/a.txt,out/b.txt
                Write both from {{ read(input) }}
                """
        ''',
    )
    e2e.write("src.txt", "v1\n")
    e2e.write("out/b.txt", "mine\n")
    run = e2e.am()
    assert run.code == 0, run
    assert e2e.read("out/b.txt").startswith("written by fake claude")
    assert saved_copies(e2e) == {"out/b.txt": "mine\n"}, run
    assert "output agentmake did not make saved: out/b.txt → " in run.err, run
