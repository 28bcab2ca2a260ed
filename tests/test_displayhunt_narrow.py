"""On a narrow terminal the live table cuts a long task id in the middle (its start, `…`, its end), not at
its end: the tasks of one fan-out differ at the end (`translate:a_very_long_document_name_1`, `_2`), and
cut at the end their rows read the same. The state column (running, retrying, …) is never what is cut."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from agentmake.display import LiveDisplay
from agentmake.display.fmt import cell_width, cut_middle
from agentmake.scheduler.events import TaskEvent

T0 = 1_700_000_000.0
IDS = [f"translate_documents:a_very_long_document_name_{i}" for i in (1, 2, 3)]
LONG = "server overloaded or failing: API Error: 500 Internal server error, please retry later"


def frame_lines(display: LiveDisplay, width: int) -> list[str]:
    console = Console(file=io.StringIO(), width=width, force_terminal=False)
    with console.capture() as cap:
        console.print(display._render())
    return cap.get().splitlines()


def live(width: int) -> LiveDisplay:
    console = Console(file=io.StringIO(), force_terminal=True, width=width, height=20)
    return LiveDisplay(console, summary_stream=io.StringIO(), clock=lambda: T0 + 2.0)


@pytest.mark.parametrize("width", [40, 30, 24])
def test_long_ids_of_one_fan_out_stay_apart_on_a_narrow_terminal(width: int) -> None:
    display = live(width)
    display.begin(IDS)
    for task_id in IDS:
        display(TaskEvent(task_id, "running", T0, 1, 1))
    display.abort("test")
    rows = [line for line in frame_lines(display, width) if "running" in line and "…" in line]
    assert len(rows) == 3, rows
    assert len({row.rstrip() for row in rows}) == 3, rows  # three rows that can be told apart
    for i, row in zip((1, 2, 3), rows, strict=True):
        shown = row.split()[2]
        assert row.split()[1] == "running", row  # the state whole
        assert shown.startswith("tran") and shown.endswith(f"e_{i}"), row  # the id's start and end
        assert cell_width(row.rstrip()) <= width


@pytest.mark.parametrize("width", [40, 30, 24, 20])
def test_the_state_column_is_never_the_part_cut(width: int) -> None:
    display = live(width)
    display.begin(IDS)
    display(TaskEvent(IDS[0], "running", T0, 1, 1))
    display(TaskEvent(IDS[1], "retrying", T0, 1, 4, retry_in=5.0, message=LONG))
    display.abort("test")
    lines = frame_lines(display, width)
    assert any(line.split()[1:2] == ["running"] for line in lines), lines
    assert any(line.split()[1:2] == ["retrying"] for line in lines), lines
    assert all(cell_width(line.rstrip()) <= width for line in lines), lines


def test_cut_middle_keeps_the_start_and_the_end() -> None:
    assert cut_middle("review:intro", 20) == "review:intro"  # what fits is whole
    cut = cut_middle("translate_documents:a_very_long_document_name_12", 21)
    assert cut == "translate_…nt_name_12", cut  # (the end gets the odd column)
    assert cut_middle("abcdef", 1) == "…" and cut_middle("abcdef", 0) == ""
    wide = cut_middle("翻译:一个很长的文件名字_3", 11)  # wide characters count two columns
    assert cell_width(wide) <= 11 and wide.endswith("_3") and wide.startswith("翻")
