"""What the kill -9 soak's builds said they spent, against what the fake agents were paid (`soak_kill9`).

The fake `claude` keeps each prompt it is given (`FAKE_AGENT_PROMPTS`, named by its pid and the time of its
`start` log line) and bills `len(prompt.split())` tokens in and `len(answer.split())` out for each answer it
prints whole (its `end` log line): from the prompt, the tokens of each paid answer are computed here as the
fake computes them. Tokens, not dollars: they are whole numbers, and a summary line rounds its cost.

Two rules, each one a user reads off agentmake's output after any interruption:
- `recorded`: each agent task's record (`agentmake status --json`) keeps the tokens its answer was paid for;
- `spent` (a Ctrl-C or SIGTERM: each build ends with its summary line): the tokens the builds' summary lines
  count are all the fakes were paid: no paid answer goes unreported, and none is counted twice (an answer a
  stopped build paid for but did not record is counted by that build, and costs the build that salvages it
  nothing: `agentmake.runners.salvage`).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

FAKES = Path(__file__).resolve().parent.parent / "tests" / "fake_agents"
sys.path.insert(0, str(FAKES))

import fake_agent  # noqa: E402

SUMMARY = re.compile(r"^agentmake: \d+ ran, .*$", re.M)  # (a build's one summary line)
TOKENS = re.compile(r", ([\d,]+) tokens in / ([\d,]+) out$")


@dataclass
class Ledger:
    """The tokens the builds' summary lines counted, and how many builds printed one."""

    tokens_in: int = 0
    tokens_out: int = 0
    summaries: int = 0

    def note(self, out: str) -> None:
        """Add what one build printed."""
        for line in SUMMARY.findall(out):
            self.summaries += 1
            found = TOKENS.search(line)
            if found:
                self.tokens_in += int(found[1].replace(",", ""))
                self.tokens_out += int(found[2].replace(",", ""))


def label_of(task: str) -> str:
    """The fake's log label of a task of the soak's project (`translate:d03` -> `d03`, `notes:d03` ->
    `notes-d03`)."""
    name, _, doc = task.partition(":")
    return f"notes-{doc}" if name == "notes" else doc


def paid(log: Path, prompts: Path) -> list[tuple[str, int, int]]:
    """(label, tokens in, tokens out) of each answer a fake printed whole, in the order of `log`."""
    if not log.exists():
        return []
    started: dict[str, str] = {}
    answers = []
    for event, at, pid, _, label in (line.split() for line in log.read_text().splitlines()):
        if event == "start":
            started[pid] = at
        elif event == "end":
            prompt = (prompts / f"{pid}-{started[pid]}.prompt").read_text(encoding="utf-8")
            directives, body = fake_agent.directives(prompt)
            answer = fake_agent.answer_text(directives, body, ["claude"])
            answers.append((label, len(prompt.split()), len(answer.split())))
    return answers


def recorded(root: Path, env: dict[str, str], log: Path, prompts: Path) -> list[str]:
    """Each agent task whose answer was paid for records the tokens of that answer."""
    of_label = {label: (tin, tout) for label, tin, tout in paid(log, prompts)}
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
        elif got != want:
            broken.append(f"{task} recorded tokens {got}, its answer was paid for {want}")
    return broken


def spent(ledger: Ledger, log: Path, prompts: Path) -> list[str]:
    """The tokens the summary lines counted are what the fakes were paid."""
    answers = paid(log, prompts)
    were = (sum(tin for _, tin, _ in answers), sum(tout for _, _, tout in answers))
    if (ledger.tokens_in, ledger.tokens_out) == were:
        return []
    return [
        f"the summary lines of {ledger.summaries} builds counted {ledger.tokens_in} tokens in /"
        f" {ledger.tokens_out} out; the fakes were paid {were[0]} / {were[1]} for {len(answers)} answers"
    ]
