"""The line every build ends with (`agentmake: 12 ran, 3 cached, 40 up to date, 1 failed in 8.3s`): its own
module, so the build stamp's no-op path prints it without loading the scheduler's event types."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal


def summary_line(
    counts: Mapping[str, int],
    wall: float,
    cost: float | None = None,
    tokens: tuple[int, int] | None = None,
    cost_unknown: bool = False,
    paid_earlier: float | None = None,
    tokens_unknown: bool = False,
    places: int | None = None,
) -> str:
    """The end-of-build line from the number of tasks in each state, the wall time, the known cost (with
    `+ unknown` after it when `cost_unknown`: some calls reported none) and the tokens reported (in, out).
    Tasks interrupted or not run are counted only when there are any (`…, 1 failed, 2 interrupted, 5 not
    run in 1.4s`): a build stopped early does not pass for one that had nothing to do.
    So are partial reports (`-k`: `…, 1 failed, 1 partial in 1.4s`), under `"partial"`, a count of their own:
    the `done` count (`ran`) is then the tasks that made a complete result, and every task is counted once.
    `paid_earlier`: how much of `cost` answers salvaged from an interrupted run cost (that run never
    reported it): `, $0.50 ($0.20 of it paid by an interrupted run)`; `(paid by an interrupted run)` if all
    of it. `tokens_unknown`: some calls reported no tokens, so the tokens said are not all (`+ unknown`).
    `places`: the decimals the cost is said with (`adding_up`: those of the table's rows), else `usd`'s."""
    n = counts
    line = (
        f"agentmake: {n.get('done', 0)} ran, {n.get('cached', 0)} cached, "
        f"{n.get('up-to-date', 0)} up to date, {n.get('failed', 0)} failed"
    )
    for state, words in (("interrupted", "interrupted"), ("not-run", "not run"), ("partial", "partial")):
        if n.get(state):
            line += f", {n[state]} {words}"
    line += f" in {wall:.1f}s"
    if cost is not None:  # (`cost_unknown`: some calls reported no cost, so the sum is not the total)
        line += f", {usd(cost, places)}" + (" + unknown" if cost_unknown else "")
        if paid_earlier is not None:
            whole = abs(paid_earlier - cost) < 1e-9
            line += " (" + ("" if whole else f"{usd(paid_earlier)} of it ") + "paid by an interrupted run)"
    if tokens is not None:
        line += f", {tokens[0]:,} tokens in / {tokens[1]:,} out" + (" + unknown" if tokens_unknown else "")
    return line


TINIEST = "0.000001"  # dollars: the least amount `usd` says in figures


def usd(amount: float, places: int | None = None) -> str:
    """Dollars as people read them, the one rule of every place that shows money (a table's cell, the
    summary line, a report, status, status.md, a sentence): two decimals, four below a cent, six below a
    hundredth of one (a cheap run is not $0.00). Never `<$0.0001`: a table's rows must add up to the
    total its summary line says (a claude task's $0.000021 was `<$0.0001` in the table and $0.000021 on
    the summary line). A cost that six decimals would round to nothing is `<$0.000001`, not `$0.000000`:
    it was paid for, and a zero reads as free. `places` (4 or 6: `adding_up`): at least that many decimals,
    so that a table's rows and its total are said alike."""
    if places is not None and amount >= 0.01:
        return f"${amount:.{places}f}"
    if places == 6 and 0.0001 <= amount < 0.01:
        return f"${amount:.6f}"
    if 0 < amount < 0.0001:
        said = f"{amount:.6f}"
        return f"<${TINIEST}" if said == "0.000000" else f"${said}"
    return f"${amount:.4f}" if 0 < amount < 0.01 else f"${amount:.2f}"


def adding_up(parts: Sequence[float], total: float) -> tuple[int | None, bool]:
    """The decimals (`usd`'s `places`) at which `parts`, each said by `usd`, add up to `total` said by it: its
    own rule (None) when they do (most builds), else 4, else 6 (rows of $0.014 each: $0.01 + $0.01 + $0.01
    beside a $0.04 total, $0.0140 x 3 beside $0.0420); and whether they add up then. Costs of more than six
    decimals (claude's) may add up at none: then (None, False), said as usd says them, and the caller says
    that they do not add up (six decimals everywhere would not make them). Only for parts whose exact sum is
    the total."""
    for places in (None, 4, 6):
        if sum(said_amount(usd(p, places)) for p in parts) == said_amount(usd(total, places)):
            return places, True
    return None, False


def said_amount(text: str) -> Decimal:
    """The amount a `usd` text says (`<$0.000001`: that bound)."""
    return Decimal(text.lstrip("<$"))
