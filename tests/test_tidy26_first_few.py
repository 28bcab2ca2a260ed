"""first_few: the one "a, b, c and N more" of the warnings and errors (warnings, errors, reports, watch)."""

from __future__ import annotations

import pytest

from agentmake.firstfew import first_few

NAMES = [f"n{i}" for i in range(6)]


@pytest.mark.parametrize(
    ("count", "said"),
    [
        (0, ""),
        (1, "n0"),
        (3, "n0, n1, n2"),  # exactly `shown`: all named
        (4, "n0, n1, n2 and 1 more"),  # one past it
        (6, "n0, n1, n2 and 3 more"),
    ],
)
def test_shown_three(count: int, said: str) -> None:
    assert first_few(NAMES[:count]) == said


@pytest.mark.parametrize(
    ("count", "said"),
    [
        (0, ""),
        (1, "n0"),
        (4, "n0, n1, n2, n3"),  # up to `whole`: all named, never "and 1 more"
        (5, "n0, n1, n2 and 2 more"),  # past `whole`: the first `shown`
    ],
)
def test_whole_above_shown(count: int, said: str) -> None:
    assert first_few(NAMES[:count], whole=4) == said


def test_other_limit_and_thousands() -> None:
    names = [str(i) for i in range(5_010)]
    assert first_few(names, 10) == ", ".join(names[:10]) + " and 5,000 more"
    assert first_few(names[:10], 10) == ", ".join(names[:10])


def test_each_applies_to_the_shown_only() -> None:
    seen: list[str] = []

    def mark(name: str) -> str:
        seen.append(name)
        return f"'{name}'"

    assert first_few(NAMES, each=mark) == "'n0', 'n1', 'n2' and 3 more"
    assert seen == ["n0", "n1", "n2"]


def test_a_report_total_says_thousands_as_the_warnings_do() -> None:
    """The count of the names not shown has thousands separators wherever it is said (before, only in
    `check_warnings`: `and 4,997 more` there, `and 4997 more` in a report's total)."""
    from agentmake.report.summary import _cost_total

    unknown = [f"t{i}" for i in range(5_000)]
    assert _cost_total([0.5], unknown) == "$0.50 + unknown (t0, t1, t2 and 4,997 more: no cost reported)"
