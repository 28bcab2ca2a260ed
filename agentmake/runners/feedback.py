"""What the retry of an answer that failed its task's `check` tells the agent: the check's complaint (its
message, then what it printed), bounded and without secrets, added to the rendered prompt (`retry_prompt`).
Asked the same question again, an agent has no idea what was wrong and is likely to answer the same way,
paying each time. The task's key stays the rendered prompt's: the retry asks for the same result, and the
answer it gets is judged by the same check.
"""

from __future__ import annotations

from collections.abc import Callable

FEEDBACK_LIMIT = 2000  # characters of a check's complaint sent to the agent (its start and its end)
ELIDED = "\n[… {} characters left out …]\n"
LEAD = "Your previous answer failed this check:"


def check_feedback(problem: str, printed: str, redact: Callable[[str], str]) -> str:
    """The complaint to send: `problem` (the check's one-line message) and, when it says more, what the check
    printed (`printed`), secrets taken out (`redact`, before the text is cut: a cut value is not found),
    at most `FEEDBACK_LIMIT` characters with their middle left out."""
    printed = printed.strip()
    text = problem if not printed or printed in problem else f"{problem}\n\nThe check printed:\n{printed}"
    return bounded(redact(text), FEEDBACK_LIMIT)


def bounded(text: str, limit: int) -> str:
    """`text`, or its first and last `limit // 2` characters with a line saying how many were left out."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return text[:half] + ELIDED.format(len(text) - 2 * half) + text[-half:]


def retry_prompt(prompt: str, feedback: str) -> str:
    """The rendered `prompt` with the check's complaint after it: what a retry sends."""
    sep = "" if prompt.endswith("\n") else "\n"
    return f"{prompt}{sep}\n{LEAD}\n\n{feedback}\n\nAnswer again so that your answer passes it.\n"
