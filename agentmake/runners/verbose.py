"""What `-v` shows of an attempt whose CLI answers in JSON: its answer (or error) and its cost, turns and
tokens, once parsed; not the raw JSON, which stays in the attempt's log (`<log_dir>/<id>.<n>.out`). A CLI
that printed plain text instead (an error, a proxy's page) is shown as it printed it, up to `SHOWN` lines
of up to `WIDE` characters. A CLI that streams JSON events as it works (claude's and gemini's
`stream-json`, codex's `--json`) is shown as they come, each as its text (`Shown`): what the agent says,
the tools it calls, errors; and a line a CLI always prints (codex's `Reading additional input from
stdin...`) is left out."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import TextIO

from agentmake.runners.parsed import Parsed, json_values
from agentmake.safetext import term_safe
from agentmake.scheduler.summary import usd


def figures(parsed: Parsed) -> str:
    """`cost $0.000024, 1 turn, 3 tokens in / 1 out`: what the CLI reported of them (empty if nothing)."""
    said = []
    if parsed.cost_usd is not None:
        said.append(f"cost {usd(parsed.cost_usd)}")
    if parsed.turns is not None:
        said.append(f"{parsed.turns} turn{'' if parsed.turns == 1 else 's'}")
    if parsed.tokens_in is not None or parsed.tokens_out is not None:
        said.append(f"{parsed.tokens_in or 0:,} tokens in / {parsed.tokens_out or 0:,} out")
    return ", ".join(said)


SHOWN = 40  # lines of plain text shown at most: the first and last half, and how many between
WIDE = 400  # characters of a line of it shown at most: its start, and how many more (a page on one line)


def printed_lines(stdout: str, error: str) -> list[str]:
    """The lines a JSON CLI printed as plain text (no JSON value in `stdout`), `error` (the first of them, as
    the parser took it) said as the error; past `SHOWN` lines, the first and last half of them and a line
    saying how many more the log holds; past `WIDE` characters, a line's start and how many more. [] when
    `stdout` holds JSON, or nothing."""
    if not stdout.strip() or next(json_values(stdout), None) is not None:
        return []
    lines = stdout.strip("\n").splitlines()
    while lines and not lines[0].strip():  # (`first_line`: the first line not blank)
        del lines[0]
    if lines and lines[0].strip() == error:
        lines[0] = f"error: {lines[0].strip()}"
    else:
        lines.insert(0, f"error: {error}")
    if len(lines) > SHOWN:
        more = len(lines) - SHOWN
        lines = [*lines[: SHOWN // 2], f"… {more:,} more lines (in the attempt's log)", *lines[-SHOWN // 2 :]]
    return [_cut(line) for line in lines]


def _cut(line: str) -> str:
    """`line`, or its first `WIDE` characters and how many more there are."""
    if len(line) <= WIDE:
        return line
    return f"{line[:WIDE]} … {len(line) - WIDE:,} more characters (in the attempt's log)"


def tell_parsed(
    task_id: str,
    parsed: Parsed,
    redact: Callable[[str], str] = str,
    stream: TextIO | None = None,
    stdout: str = "",
) -> None:
    """Write the answer's lines (else its error: with `stdout`, what the CLI printed, all of it if that was
    plain text, `printed_lines`), then its figures, each prefixed `[task] ` as the verbose tail's lines are,
    `redact`ed and `term_safe`; in one write, so that other tasks' lines do not come between them. Nothing
    for an attempt with nothing parsed (cancelled before it ended)."""
    prefix = f"[{term_safe(task_id)}] "
    lines = (parsed.answer or "").splitlines() if parsed.answer is not None else []
    if parsed.answer is None and parsed.error:
        # (`parsed.error` is redacted already: so is what it is compared with)
        lines = printed_lines(redact(stdout), parsed.error) or [f"error: {parsed.error}"]
    said = figures(parsed)
    if said:
        lines.append(f"({said})")
    if lines:
        out = stream if stream is not None else sys.stderr
        out.write("".join(prefix + term_safe(redact(line)) + "\n" for line in lines))
        out.flush()


def unsaid(task_id: str, shown: Shown | None, parsed: Parsed, redact: Callable[[str], str] = str) -> None:
    """The error objects `shown` left out of an attempt's stderr, shown (as its stderr is: `[task!] `) where
    the parsed result told no error that says it (a successful answer, a proxy's warning beside it)."""
    if shown is not None and shown.left_out and not parsed.error:
        prefix = f"[{term_safe(task_id)}!] "
        sys.stderr.write("".join(prefix + term_safe(redact(line)) + "\n" for line in shown.left_out))
        sys.stderr.flush()


NOISE = {"codex": frozenset({"Reading additional input from stdin..."})}  # stderr lines said at every call


class Shown:
    """What `-v` shows of each line an attempt's CLI prints (`staging.tail_to_stderr`'s `shown`): a line
    its preset always prints on stderr (`NOISE`) is left out; with `events` (the runner's format, its stdout
    a stream of JSON events), each event on stdout is told as its text (`event_text`), gemini's pieces of
    a message (`delta`) joined into lines, and the figures of the result (or codex's turn) after it; with
    `told`, a JSON error object on stderr is left out (`_object`)."""

    def __init__(self, preset: str | None, events: str | None, told: bool = False) -> None:
        self.noise = NOISE.get(preset or "", frozenset())
        self.events = events
        self.told = told  # the answer, or error, is told once parsed (`tell_parsed`)
        self.pending = ""  # the unfinished line of a message streamed in pieces
        self.error: list[str] = []  # the error last said
        self.block: list[str] = []  # the lines of a JSON object being printed on stderr
        self.left_out: list[str] = []  # an error object left out (`unsaid`: shown if no error is told)

    def __call__(self, line: str, is_stderr: bool) -> list[str] | None:
        if is_stderr:
            if self.told and (self.block or line.startswith("{")):
                return self._object(line)
            return [] if line.strip() in self.noise else None
        if self.events is None:
            return None
        event = _event(line)
        if event is None:  # (no JSON object: as printed)
            return [*self._flush(), line]
        if event.get("type") == "message" and event.get("delta") is True and event.get("role") == "assistant":
            *whole, self.pending = (self.pending + str(event.get("content") or "")).split("\n")
            return whole
        said = event_text(event)
        if event.get("type") in ("result", "turn.completed"):
            from agentmake.runners.parse import parse_output

            counted = figures(parse_output(self.events, line, ""))
            said = [*said, f"({counted})"] if counted else said
        if said and said[0].startswith("error: "):  # (codex says its error twice: `error`, `turn.failed`)
            said, self.error = ([] if said == self.error else said), said
        return [*self._flush(), *said]

    def _object(self, line: str) -> list[str]:
        """A line of a JSON object printed on stderr (gemini's `-o json` error): nothing until it ends, then
        nothing if it is an error (`tell_parsed` tells it: it was shown twice), else its lines."""
        self.block.append(line)
        if line.rstrip() != "}" and not (len(self.block) == 1 and line.rstrip().endswith("}")):
            return []
        block, self.block = self.block, []
        try:
            value = json.loads("\n".join(block))
        except (ValueError, RecursionError):  # (not JSON, or nested beyond reason)
            return block
        if isinstance(value, dict) and "error" in value:
            self.left_out += block
            return []
        return block

    def end(self) -> tuple[list[str], list[str]]:
        """What is still held once the attempt ended: (its stdout's, its stderr's) lines."""
        block, self.block = self.block, []
        return self._flush(), block

    def _flush(self) -> list[str]:
        """The unfinished line of a message streamed in pieces, once something else comes."""
        pending, self.pending = self.pending, ""
        return [pending] if pending else []


def _event(line: str) -> dict | None:
    """The JSON object a CLI streamed on `line`, or None (no JSON object: shown as printed)."""
    try:
        event = json.loads(line)
    except (ValueError, RecursionError):  # (not JSON, or nested beyond reason: as printed)
        return None
    return event if isinstance(event, dict) else None


def event_text(event: dict) -> list[str]:
    """The lines `-v` shows for one JSON event a CLI streamed (`_event`): what the agent said (claude's
    `assistant`, gemini's assistant `message`, codex's `agent_message`), the tools it calls (`→ Write`,
    `→ $ ls`), an error or a failed result; nothing for the rest (init, turns, usage, a successful result,
    whose text was said)."""
    kind = event.get("type")
    if kind == "assistant":  # claude (an error's message is said by the result that follows it)
        if event.get("error"):
            return []
        message = event.get("message")
        content = message.get("content") if isinstance(message, dict) else None
        return _content(content)
    if kind == "message":  # gemini
        return _text(event.get("content")) if event.get("role") == "assistant" else []
    if kind == "tool_use":  # gemini
        return [f"→ {event.get('tool_name', 'tool')}"]
    if kind == "item.completed" and isinstance(item := event.get("item"), dict):  # codex
        return _item(item)
    if kind == "result":  # claude's or gemini's last event
        if event.get("is_error") is True:
            return [f"error: {said}" for said in _text(event.get("result"))] or ["error"]
        return [f"error: {_message(event.get('error'))}"] if event.get("status") == "error" else []
    if kind in ("error", "turn.failed"):  # codex
        return [f"error: {_message(event.get('error') or event)}"]
    return []


def _content(content: object) -> list[str]:
    """The text and tool calls of a claude message's `content`."""
    if not isinstance(content, list):
        return _text(content)
    lines: list[str] = []
    for part in content:
        if isinstance(part, dict) and part.get("type") == "text":
            lines += _text(part.get("text"))
        elif isinstance(part, dict) and part.get("type") == "tool_use":
            lines.append(f"→ {part.get('name', 'tool')}")
    return lines


def _item(item: dict) -> list[str]:
    """What a codex item completed says: its message, the command it ran, the files it changed, its error."""
    kind = item.get("type")
    if kind == "agent_message":
        return _text(item.get("text"))
    if kind == "command_execution":
        return [f"→ $ {item.get('command', '')}"]
    if kind == "file_change" and isinstance(changes := item.get("changes"), list):
        return [f"→ {c.get('kind', 'changed')} {c.get('path', '')}" for c in changes if isinstance(c, dict)]
    if kind == "error":
        return [f"error: {_message(item)}"]
    return []


def _text(value: object) -> list[str]:
    """`value`'s lines if it is a string, else none."""
    return value.splitlines() if isinstance(value, str) else []


def _message(value: object) -> str:
    """The `message` of an error object, or the value as it is."""
    if isinstance(value, dict) and isinstance(value.get("message"), str):
        return value["message"]
    return str(value)
