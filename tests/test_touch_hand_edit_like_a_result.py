"""`agentmake -t` with the inputs back to what a cached result was made from and an output edited by hand
whose bytes happen to be some other cached result (an empty file, another task's output): the edit is kept
and touched, as -t keeps any hand edit; it was refused as "agentmake's result for other inputs", untrue of
a file the user wrote. A stale result agentmake made for that output is still refused (`test_touch18_touch`,
its `..._made_for_other_inputs_is_not_touched_a_build_restores_it`)."""

from __future__ import annotations

from e2e_helpers import E2E
from test_touch18_touch import built, built_once  # noqa: F401  (the fixtures)


def test_a_hand_edit_equal_to_another_outputs_result_is_touched_as_an_edit(built: E2E) -> None:  # noqa: F811
    made = built.read("build/a.md")
    assert built.am("-t").code == 0
    built.write("docs/a.md", "doc a, v2\n")
    assert built.am().code == 0 and sorted(built.calls()) == ["combine", "sum-a"]
    built.write("docs/a.md", "doc a\n")  # back to what the cached result of summarize:a was made from
    built.write("build/a.md", built.read("build/b.md"))  # by hand: summarize:b's result, not a's
    built.reset_calls()
    touched = built.am("-t")
    assert "result for other inputs" not in touched.err, touched
    assert touched.code == 0 and "touched     summarize:a" in touched.err, touched
    assert built.read("build/a.md") == built.read("build/b.md")  # (kept: -t writes no output)
    (built.root / "build/a.md").unlink()
    restored = built.am()
    assert restored.code == 0 and built.calls() == [], restored
    assert built.read("build/a.md") == made  # the result paid for, cached under that key
