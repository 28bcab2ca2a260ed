"""The report's timeline legend says in one short line what a bar is and what each colour shown means (ux27):
it read "Bars: coloured (blue), on the critical path; grey, done or restored off it; ...", which said
neither what one bar stands for nor, plainly, what "off it" was."""

from __future__ import annotations

from agentmake.report.mermaid import Bar, legend

EVERY = [
    Bar("a", "done", 0.0, 1.0, critical=True),
    Bar("b", "done", 0.0, 1.0),
    Bar("c (try 1)", "failed", 0.0, 1.0),
    Bar("d", "interrupted", 0.0, 1.0),
]


def test_the_legend_says_what_a_bar_is_and_what_each_colour_means() -> None:
    assert legend(EVERY) == (
        "Each bar is one attempt of a task, start to end: blue = on the critical path (done or restored);"
        " grey = done or restored; red = failed; pale = interrupted."
    )


def test_the_legend_names_only_the_colours_shown_and_a_bar_per_agent_as_such() -> None:
    assert (
        legend(EVERY[1:3])
        == "Each bar is one attempt of a task, start to end: grey = done or restored; red = failed."
    )
    said = legend(EVERY[:1], per_agent=True)
    assert said == (
        "Each bar is an agent's tasks, first start to last end (one attempt, for an agent of one task):"
        " blue = on the critical path (done or restored)."
    )
    assert "\n" not in legend(EVERY) and len(legend(EVERY)) < 160  # one short line


def test_a_restored_task_on_the_critical_path_is_not_said_to_be_done_and_a_lone_task_s_tries_are_bars() -> (
    None
):
    """(review14) a task restored from the cache can be on the critical path: blue said "done"; and an agent
    of one task gets a bar per attempt in the per-agent chart, which said "all of an agent's tasks"."""
    said = legend([Bar("r", "done", 0.0, 1.0, critical=True)])
    assert "blue = on the critical path (done or restored)" in said, said
    assert "one attempt, for an agent of one task" in legend(EVERY[:1], per_agent=True)
