"""A result `agentmake -t` recorded (a file made by hand, taken as built: no time, no cost), its outputs taken
as built again after a build under other variables (back to lang=es after lang=fr, `Decision.adopt`): the
figures kept with it (its cache entry's, or its strays': `Store.cache_made`) say nothing was made (0 attempts,
0.0s, no cost, no tokens). `status` said 'its outputs in place, as an earlier build made them, taken as built
(no call): its time, cost then' (KEPT; with the cache entry there, 'restored from the cache', which it
was not): no build made them. Figures that say nothing are none: still said touched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentmake.cli import main
from agentmake.display.status import KEPT, TOUCHED

AGENTFILE = """\
lang = es
agent t:
    outputs = out/${lang}/t.md
    run = "echo ${lang} > {output}"
"""


@pytest.mark.parametrize("trimmed", [True, False])
def test_a_touched_result_taken_back_is_still_said_touched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], trimmed: bool
) -> None:
    (tmp_path / "Agentfile").write_text(("cache_size = 0\n" if trimmed else "") + AGENTFILE)
    (tmp_path / "out" / "es").mkdir(parents=True)
    (tmp_path / "out" / "es" / "t.md").write_text("by hand\n")
    assert main(["-C", str(tmp_path), "-s", "-t"]) == 0
    assert main(["-C", str(tmp_path), "-s", "lang=fr"]) == 0
    assert main(["-C", str(tmp_path), "-s"]) == 0
    assert (tmp_path / "out" / "es" / "t.md").read_text() == "by hand\n"  # (taken as built: no call)
    capsys.readouterr()
    assert main(["-C", str(tmp_path), "status"]) == 0
    out = capsys.readouterr().out
    assert TOUCHED in out and KEPT not in out and "restored" not in out, out
    assert main(["-C", str(tmp_path), "status", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["touched"] and not row["kept"] and not row["restored"], row
