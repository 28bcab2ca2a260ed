"""What the kill -9 soak's builds said they spent, against what the fake agents were paid (`soak_kill9`).

The fake `claude` keeps each prompt it is given (`FAKE_AGENT_PROMPTS`, named by its pid and the time of its
`start` log line) and bills `len(prompt.split())` tokens in and `len(answer.split())` out for each answer it
prints whole (its `end` log line): from the prompt, the tokens of each paid answer are computed here as the
fake computes them. Tokens, not dollars: they are whole numbers, and a summary line rounds its cost.

Two rules, each one a user reads off agentmake's output after any interruption:
- `recorded`: each agent task's record (`agentmake status --json`) keeps the tokens its answer was paid for;
- `spent`: the tokens the builds' summary lines count are all the fakes were paid, for answers and for paid
  failures (a stop at a turn limit, `soak_kill9 --faults`): no paid answer goes unreported, and none is
  counted twice (an answer a build stopped by Ctrl-C paid for but did not record is counted by that build,
  and costs the build that salvages it nothing: `agentmake.runners.salvage`; what a build killed with -9
  spent, results renamed into place or not and failures, is counted by the next build that ends, and an
  answer it paid for and never recorded by the build that salvages it).
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

FAKES = Path(__file__).resolve().parent.parent / "tests" / "fake_agents"
sys.path.insert(0, str(FAKES))

import fake_agent  # noqa: E402

SUMMARY = re.compile(r"^agentmake: \d+ ran, .*$", re.M)  # (a build's one summary line)
TOKENS = re.compile(r", ([\d,]+) tokens in / ([\d,]+) out(?: \+ unknown)?$")  # (+ unknown: a call said none)


@dataclass
class Ledger:
    """The tokens the builds' summary lines counted, and how many builds printed one."""

    tokens_in: int = 0
    tokens_out: int = 0
    summaries: int = 0
    lost: int = 0  # builds killed once they had ended (`lost_line`)
    repeated: int = 0  # builds killed once their line was out, before they marked it said (`unsaid`)

    def note(self, out: str) -> None:
        """Add what one build printed."""
        for line in SUMMARY.findall(out):
            self.summaries += 1
            found = TOKENS.search(line)
            if found:
                self.tokens_in += int(found[1].replace(",", ""))
                self.tokens_out += int(found[2].replace(",", ""))

    def note_killed(self, out: str, root: Path, pid: int) -> None:
        """Add what a build killed with -9 printed, unless the next build says it again: a line printed
        before the build marked it said (`Journal.line_said`: a line that reports spend is said at least
        once, `unsaid`). And if it had ended (its run's end recorded) before its summary line got out, what
        that line would have said (`lost_line`: a line reporting no spend)."""
        if SUMMARY.search(out) is not None and unsaid(root, pid):
            self.repeated += 1
            return
        self.note(out)
        if SUMMARY.search(out) is None:
            lost = lost_line(root, pid)
            if lost is not None:
                self.lost += 1
                self.tokens_in, self.tokens_out = self.tokens_in + lost[0], self.tokens_out + lost[1]


def unsaid(root: Path, pid: int) -> bool:
    """Whether build `pid` ended (`Journal.end_run`) and was killed before it marked its summary line said
    (`Journal.line_said`): the next build that ends reports that line's spend again (at least once)."""
    path = root / ".agentmake" / "state.db"
    if not path.is_file():
        return False
    with contextlib.closing(sqlite3.connect(path)) as db:
        try:
            query = "SELECT ended_at IS NULL AND counts IS NOT NULL FROM runs WHERE pid = ?"
            row = db.execute(query + " ORDER BY run_id DESC LIMIT 1", (pid,)).fetchone()
            return row is not None and bool(row[0])
        except sqlite3.OperationalError:
            return False


def lost_line(root: Path, pid: int) -> tuple[int, int] | None:
    """The tokens in and out the summary line of build `pid` would have counted, if that build had ended
    (`Journal.end_run`: its spend, and that of the killed builds it reports, marked reported) when a kill -9
    came before it printed the line (since a line that reports spend is marked said only once it is out,
    `Journal.line_said`, only a line that reports none);
    None if it had not ended. Read from the state database: its history rows and those of the builds it marked
    (`runs.summed_by`), as `Journal.spend_unsummed` picks them, and the spend they found (`found_spend`)."""
    path = root / ".agentmake" / "state.db"
    if not path.is_file():  # (killed before it made one)
        return None
    with contextlib.closing(sqlite3.connect(path)) as db:  # (as the next agentmake command opens it)
        try:
            query = "SELECT MAX(run_id) FROM runs WHERE pid = ? AND ended_at > 0"
            run = db.execute(query, (pid,)).fetchone()[0]
        except sqlite3.OperationalError:  # (killed as it made the database: no build ended there yet)
            return None
        if run is None:
            return None
        rows = db.execute(
            "SELECT run_id, state, extra, tokens_in, tokens_out FROM attempts WHERE run_id = ?1 OR (run_id IN"
            " (SELECT run_id FROM runs WHERE summed_by = ?1) AND state != 'up-to-date')",
            (run,),
        ).fetchall()
        try:  # (what it, or a build it reported, found a killed build paid for: `Journal.record_found`)
            found = db.execute(
                "SELECT tokens_in, tokens_out FROM found_spend WHERE run_id = ?1 OR run_id IN"
                " (SELECT run_id FROM runs WHERE summed_by = ?1)",
                (run,),
            ).fetchall()
        except sqlite3.OperationalError:  # (a database made before the table)
            found = []
    rows += [(run, "found", "{}", tin, tout) for tin, tout in found]
    said = [
        (tin or 0, tout or 0)
        for run_id, state, extra, tin, tout in rows
        if run_id == run or state != "cached" or json.loads(extra or "{}").get("paid_earlier")
    ]
    return sum(tin for tin, _ in said), sum(tout for _, tout in said)


def label_of(task: str) -> str:
    """The fake's log label of a task of the soak's project (`translate:d03` -> `d03`, `notes:d03` ->
    `notes-d03`)."""
    name, _, doc = task.partition(":")
    return f"notes-{doc}" if name == "notes" else doc


def paid(log: Path, prompts: Path) -> list[tuple[str, int, int]]:
    """(label, tokens in, tokens out) of each answer a fake printed whole, in the order of `log`."""
    return [(label, tin, tout) for label, tin, tout, fault in billed(log, prompts) if not fault]


def billed(log: Path, prompts: Path) -> list[tuple[str, int, int, bool]]:
    """(label, tokens in, tokens out, fault) of each invocation that ended (`end`), in the order of `log`:
    an answer printed whole, or a fault that took effect (the fake's `.fired` mark, `--faults`): a stop at a
    limit (`stopped=`) bills the prompt's tokens in and none out, as the fake's error result says; a refusal
    bills nothing."""
    if not log.exists():
        return []
    started: dict[str, str] = {}
    ended = []
    for event, at, pid, _, label in (line.split() for line in log.read_text().splitlines()):
        if event == "start":
            started[pid] = at
        elif event == "end":
            stem = f"{pid}-{started[pid]}"
            prompt = (prompts / f"{stem}.prompt").read_text(encoding="utf-8")
            directives, body = fake_agent.directives(prompt)
            if (prompts / f"{stem}.fired").exists():
                ended.append((label, len(prompt.split()) if "stopped" in directives else 0, 0, True))
                continue
            answer = fake_agent.answer_text(directives, body, ["claude"])
            ended.append((label, len(prompt.split()), len(answer.split()), False))
    return ended


def recorded(root: Path, env: dict[str, str], log: Path, prompts: Path) -> list[str]:
    """Each agent task whose answer was paid for records the tokens of that answer."""
    of_label = {label: (tin, tout) for label, tin, tout in paid(log, prompts)}
    failed: dict[str, tuple[int, int]] = {}  # (`--faults`: a build that reports a paid failure counts it in
    for label, tin, tout, fault in billed(log, prompts):  # the task's record with its answer, as a retry's)
        if fault:
            failed[label] = (failed.get(label, (0, 0))[0] + tin, failed.get(label, (0, 0))[1] + tout)
    command = [str(Path(sys.executable).parent / "agentmake"), "status", "--json"]
    status = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=120)
    broken = []
    for row in json.loads(status.stdout):
        task = row["task"]
        if task.split(":")[0] not in ("translate", "notes"):
            continue
        got, want = (row["last_tokens_in"], row["last_tokens_out"]), of_label.get(label_of(task))
        if want is None:
            broken.append(f"{task} has a record but its answer was never paid for")
        elif got != want and not within(got, want, failed.get(label_of(task), (0, 0))):
            broken.append(f"{task} recorded tokens {got}, its answer was paid for {want}")
    return broken


def within(got: tuple[int | None, int | None], answer: tuple[int, int], failures: tuple[int, int]) -> bool:
    """Whether a record's tokens are its answer's plus at most what its paid failures cost."""
    return all(g is not None and a <= g <= a + f for g, a, f in zip(got, answer, failures, strict=True))


def spent(ledger: Ledger, log: Path, prompts: Path) -> list[str]:
    """The tokens the summary lines counted are what the fakes were paid (for answers, and for failures)."""
    ended = billed(log, prompts)
    were = (sum(tin for _, tin, _, _ in ended), sum(tout for _, _, tout, _ in ended))
    if (ledger.tokens_in, ledger.tokens_out) == were:
        return []
    faults = sum(fault for *_, fault in ended)
    failures = f" and {faults} failures" if faults else ""
    lost = f" (and {ledger.lost} lost to a kill once its build ended)" if ledger.lost else ""
    return [
        f"the summary lines of {ledger.summaries} builds{lost} counted {ledger.tokens_in} tokens in /"
        f" {ledger.tokens_out} out; the fakes were paid {were[0]} / {were[1]} for"
        f" {len(ended) - faults} answers{failures}"
    ]
