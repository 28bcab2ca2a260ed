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
        "Each bar is one attempt of a task, start to end: blue = done, on the critical path;"
        " grey = done or restored; red = failed; pale = interrupted."
    )


def test_the_legend_names_only_the_colours_shown_and_a_bar_per_agent_as_such() -> None:
    assert (
        legend(EVERY[1:3])
        == "Each bar is one attempt of a task, start to end: grey = done or restored; red = failed."
    )
    said = legend(EVERY[:1], per_agent=True)
    assert (
        said
        == "Each bar is all of an agent's tasks, first start to last end: blue = done, on the critical path."
    )
    assert "\n" not in legend(EVERY) and len(legend(EVERY)) < 160  # one short line
