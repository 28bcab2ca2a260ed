"""The result cache keeps its promises end to end (real builds, the fake agent CLIs counting paid calls):
a damaged blob is never restored as an output, the entries of the results in place survive any
`cache_size` (so a `clean` or a deleted output never costs a call again), and a restored output keeps its
executable bit."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, one_agent

BIG = 300_000  # over PACK_LIMIT: the blob is a file under .agentmake/cache/blobs


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def _big_doc(e2e: E2E, rel: str, seed: str) -> None:
    e2e.write(rel, "".join(f"{seed} line {i}\n" for i in range(BIG // 16)), dedent=False)


def test_a_damaged_blob_is_never_restored_and_the_task_runs_again(e2e: E2E) -> None:
    e2e.write(
        "Agentfile",
        """\
        agent one:
            inputs = src.md
            outputs = out/a.md
            prompt = \"\"\"
                FAKE: label=one
                {{ read(input) }}
                \"\"\"
        agent two:
            run = "wc -c < {input} > {output}"
            inputs = out/a.md
            outputs = out/count.txt
        """,
    )
    _big_doc(e2e, "src.md", "x")
    assert e2e.am().code == 0
    good, count = e2e.read("out/a.md"), e2e.read("out/count.txt")
    blobs = [p for p in (e2e.root / ".agentmake/cache/blobs").rglob("*") if p.is_file()]
    assert blobs
    for blob in blobs:  # a truncated file, as a full disk or a bad copy leaves
        blob.write_bytes(blob.read_bytes()[:1000])
    (e2e.root / "out/a.md").unlink()
    shutil.rmtree(e2e.root / ".agentmake/logs")  # (no earlier answer to salvage: the call is made again)
    e2e.reset_calls()
    run = e2e.am()
    assert run.code == 0, run
    assert e2e.read("out/a.md") == good and e2e.read("out/count.txt") == count
    assert e2e.calls() == ["one"] and run.summary.ran == 1  # run again, not "cached" from the bad blob
    assert not any(b.exists() and b.stat().st_size == 1000 for b in blobs)  # the damaged blobs are gone
    assert e2e.am().summary.up_to_date == 2


def test_the_entries_of_results_in_place_outlive_a_small_cache_size(e2e: E2E) -> None:
    e2e.write(
        "Agentfile",
        """\
        cache_size = 1
        agent translate:
            runner = llm
            inputs = docs/{name}.md
            outputs = build/{name}.md
            prompt = \"\"\"
                FAKE: label={{ name }}
                {{ read(input) }}
                \"\"\"
        """,
    )
    for n in "abc":  # three answers of 600 KB: more than the 1 MB the cache may hold
        line = f"{n} padding padding padding\n"
        e2e.write(f"docs/{n}.md", line * (600_000 // len(line)), dedent=False)
    assert e2e.am().code == 0 and len(e2e.calls()) == 3
    assert e2e.am("clean").code == 0
    e2e.reset_calls()
    run = e2e.am()
    assert run.code == 0 and run.summary.cached == 3, run
    assert e2e.calls() == []  # nothing paid again


def test_a_restored_output_keeps_its_executable_bit(e2e: E2E) -> None:
    e2e.write("s.sh", "#!/bin/sh\necho hi\n")
    e2e.write(
        "Agentfile",
        """\
        agent mk:
            run = "cp {input} {output} && chmod +x {output}"
            inputs = s.sh
            outputs = bin/tool
        agent use:
            run = "./bin/tool > {output}"
            inputs = bin/tool
            outputs = out.txt
        """,
    )
    assert e2e.am().code == 0 and os.access(e2e.root / "bin/tool", os.X_OK)
    (e2e.root / "bin/tool").unlink()
    (e2e.root / "out.txt").unlink()
    run = e2e.am()
    assert run.code == 0 and run.summary.cached == 2, run
    assert os.access(e2e.root / "bin/tool", os.X_OK), "restored without its executable bit"
    assert (e2e.root / "bin/tool").stat().st_mode & 0o777 == 0o755 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_result_the_cache_cannot_take_is_kept_and_the_build_says_so(e2e: E2E) -> None:
    """A cache that cannot be written (here `blobs` is a file; a full disk or a read-only directory alike)
    never costs the result, but the build must say the result is not cached: silently, a later `clean` or a
    deleted output would pay for the call again with no warning."""
    e2e.write("Agentfile", one_agent(), dedent=False)
    _big_doc(e2e, "src.md", "x")
    cache = e2e.root / ".agentmake/cache"
    cache.mkdir(parents=True)
    (cache / "blobs").write_text("")  # not a directory: no large blob can be stored
    run = e2e.am()
    assert run.code == 0, run
    assert e2e.calls() == ["one"] and e2e.read("out/a.md").count("x line") == BIG // 16
    assert "! one: result kept but not cached (cannot write to the cache:" in run.text, run
