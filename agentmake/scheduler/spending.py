"""What attempts cost, counted towards their task's outcome and this build's spend and budget, each answer
once, a salvaged one's only if no build reported it (`Spending`, a base of `outcomes.Outcomes`).
"""

from __future__ import annotations

from agentmake.runners import AttemptResult
from agentmake.scheduler.earlier import paid_by, priced, record_found, unreported
from agentmake.scheduler.ending import Ending
from agentmake.scheduler.tasks import TaskState

# Failures that end a call before its CLI prints what it cost (a timeout, a CLI stalled waiting for the
# network): the call's cost is unknown, whatever its runner reports of the calls it lets finish.
CUT_SHORT = frozenset({"timeout", "network"})


class Spending(Ending):
    """What each attempt cost, counted (`_add_cost`)."""

    def _unreported(self, t: TaskState, result: AttemptResult) -> bool:
        """Whether no build reported the spend on the salvaged answer `result` (`earlier.unreported`)."""
        return unreported(self.store, t, result)

    def _budget_spent(self) -> bool:
        """Whether this run's recorded spend has reached the budget (a budget of 0 is reached at once)."""
        if self.gate.budget_reached():
            self.result.budget_reached = True
        return self.result.budget_reached

    def _add_rejected(self, t: TaskState, earlier: AttemptResult) -> None:
        """Count what a salvaged answer that failed its check cost (`AttemptResult.rejected`: the agent
        was asked again), paid for by an interrupted run, as a salvaged answer's is (`_add_cost`): only if
        no build reported it (`_unreported`), then noted as reported in its key file
        (`salvage.note_reported`), so that no later build counts it again, if its key file is still the one
        of the attempt that paid (`paid_at`): the attempt that asked again at the same log stem replaced it
        with its own, whose spend is its own; one that did not ask (held: the budget reached; a runner that
        could not start) left it, noted then, else each later build would count it again."""
        if not priced(earlier) or not self._unreported(t, earlier):
            return
        # (its record as found failed as the attempt started: tried again, as no history row holds it, a
        # salvaged answer's being that answer's cost alone; recorded, this build's line says it with what it
        # found, `loop._add_found`, and a kill -9 before that line leaves it to the next one's)
        if record_found(self.store, self.gate, self.run_id, t, [earlier]):
            return
        if earlier.cost_usd is not None:  # (a CLI that names no price says its tokens alone: counted too)
            t.outcome.paid_earlier = (t.outcome.paid_earlier or 0.0) + earlier.cost_usd
        self._count(t, earlier)
        if earlier.paid_by is not None:
            from agentmake.runners.salvage import note_reported  # (an LLM agent's: not in a shell build)

            note_reported(earlier.paid_by, earlier.paid_at)

    def _add_cost(self, t: TaskState, result: AttemptResult) -> None:
        """Count what the attempt cost towards the task's outcome and this build's spend (and budget). A
        salvaged answer was paid for by an earlier build: counted here only if no build reported it
        (`_unreported`), and noted as paid by an interrupted run (`TaskOutcome.paid_earlier`)."""
        for earlier in result.rejected:
            self._add_rejected(t, earlier)
        if result.salvaged:  # (tokens alone, of a CLI that names no price: counted too, as found spend is)
            if not priced(result) or not self._unreported(t, result):
                return
            t.outcome.salvaged_unreported = True  # (its history row says so: `Outcomes._record_done`)
            if result.cost_usd is not None:
                t.outcome.paid_earlier = (t.outcome.paid_earlier or 0.0) + result.cost_usd
        self._count(t, result)

    def _count(self, t: TaskState, result: AttemptResult) -> None:
        """Add the attempt's cost (or that a call said none) and tokens to the task's outcome, its cost to
        this build's spend and budget (`_add_cost`, `_add_rejected`: which decide whether it counts)."""
        out = t.outcome
        if result.cost_usd is not None:
            out.cost_usd = (out.cost_usd or 0.0) + result.cost_usd
            paid = paid_by(result)  # (a salvaged answer's: the budget may have counted it as it was found)
            if paid is not None:
                self.gate.spend_once(paid, result.cost_usd)
            else:
                self.gate.spend(result.cost_usd)
            self._budget_spent()
        elif t.llm and result.exit_code is not None:
            out.unpriced = True  # (a call, which said nothing of its cost: unknown, not free)
            if self.options.budget is not None:
                if result.outcome == "cancelled" or result.error_type in CUT_SHORT:  # (before it could say)
                    why = (result.message or result.error_type or "cancelled").split(";")[0]
                    self.result.cut_short.setdefault(t.runner or "?", []).append(f"{t.id}: {why}")
                else:
                    self.result.uncounted.add(t.runner or "?")  # it ran and said nothing of its cost
        if result.tokens_in is None and result.tokens_out is None and t.llm and result.exit_code is not None:
            out.untokened = True  # (a call that said nothing of its tokens: the sum said is not all of them)
        if result.tokens_in is not None:
            out.tokens_in = (out.tokens_in or 0) + result.tokens_in
        if result.tokens_out is not None:
            out.tokens_out = (out.tokens_out or 0) + result.tokens_out
