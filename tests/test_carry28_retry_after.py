"""`openai_http.retry_after` reads a Retry-After header as RFC 9110 says it is written (delay-seconds, or an
HTTP-date) and as a careful client takes it: never infinite, NaN or negative, at most a day; a value that is
neither form ("inf", "nan", "-5", "1e3") is ignored (None). Before, float() took "inf" (infinity), "1e400"
(infinity), "nan" (0) and "-5" (0), and a date a year off was a year."""

from __future__ import annotations

import email.utils
import math
import time

import pytest

from agentmake.runners.openai_http import RETRY_AFTER_CAP, retry_after


def _date(offset: float) -> str:
    return email.utils.formatdate(time.time() + offset, usegmt=True)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("0", 0.0), ("25", 25.0), (" 7 ", 7.0), ("1.5", 1.5), ("86400", 86400.0), ("86401", RETRY_AFTER_CAP),
     ("99999999999999999999999", RETRY_AFTER_CAP), ("9" * 400, RETRY_AFTER_CAP)],
)  # fmt: skip
def test_delay_seconds_are_taken_up_to_a_day(header: str, seconds: float) -> None:
    assert retry_after(header) == seconds


@pytest.mark.parametrize(
    "header",
    ["inf", "Infinity", "-inf", "nan", "NaN", "-5", "+5", "1e3", "1e400", "1_000", "0x10", "soon", ""],
)
def test_what_is_neither_delay_seconds_nor_a_date_is_ignored(header: str) -> None:
    assert retry_after(header) is None


def test_a_date_past_is_now_and_one_far_off_a_day() -> None:
    assert retry_after(_date(-3600)) == 0.0
    assert retry_after("Thu, 01 Jan 1970 00:00:00 GMT") == 0.0
    assert retry_after(_date(10 * 365 * 86400)) == RETRY_AFTER_CAP
    assert retry_after("Fri, 31 Dec 9999 23:59:59 GMT") == RETRY_AFTER_CAP
    soon = retry_after(_date(120))
    assert soon is not None and 100 <= soon <= 121


def test_what_it_gives_is_always_a_finite_wait() -> None:
    for header in ("inf", "nan", "1e400", "-1", "9" * 400, _date(1e9), "Mon, 32 Foo 2020 99:99:99 GMT"):
        wait = retry_after(header)
        assert wait is None or (math.isfinite(wait) and 0.0 <= wait <= RETRY_AFTER_CAP), (header, wait)
