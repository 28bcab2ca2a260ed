"""The build stamp's answer to a request (`agentmake.plan.stamp`): its signature, and whether the stamp
proves it a no-op (said as the build would say it) before the Agentfile is even loaded."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from agentmake.safetext import term_safe
from agentmake.workflow import EXIT_OK, Request, _out, agentfile_path

if TYPE_CHECKING:
    from agentmake.plan.stamp import Signature, Verdict

__all__ = ["stamp_request", "stamp_verdict"]


def stamp_request(req: Request, command: str) -> tuple[Signature, float, Path] | None:
    """(signature, start, project root) of a request the build stamp may answer, None if it may not (-B)."""
    if req.force:
        return None
    from agentmake.plan.stamp import Signature, signature

    # the Agentfile's path as loading takes it (`syntax.load`: absolute, links not followed): its directory is
    # the project root, so an Agentfile that links into another project's directory stays this project's
    path = agentfile_path(req).absolute()
    # (and the models and endpoints runner CLIs take from the environment, `LLM_MODEL`, OPENAI_BASE_URL:
    # a key holds them; only the signature's digest is kept, of a URL's value without the secrets it may
    # hold, as a key's, `presets.env_endpoint`: else a weak password could be guessed from the digest)
    from agentmake.runners.modelenv import AUTH_SWITCHES, ENDPOINT_ENV, ENDPOINT_HOSTS, MODEL_ENV
    from agentmake.runners.urlsecrets import without_secrets

    chosen = set(MODEL_ENV.values()) | set(ENDPOINT_ENV)
    values = {name: os.environ.get(name, "") for name in chosen}
    values = {name: value for name, value in values.items() if value == "true" or name not in AUTH_SWITCHES}
    models = sorted((n, without_secrets(v) if n in ENDPOINT_HOSTS else v) for n, v in values.items())
    parts = [command, str(path), list(req.targets), sorted(req.overrides.items()), models]
    # (and the config files runner CLIs take a default model from, the user's and the project's, by the
    # digest of what the keys read of them: only when they name something, so that a signature without them
    # is as it was, `runners.configstamp`; the ``.env`` gemini loads is looked for only when the stamp's
    # build ran a gemini task: `Signature`)
    from agentmake.runners.configstamp import dotenv_digests, stamp_digests

    configs = stamp_digests(os.environ, path.parent, dotenv=False)

    def signed(configs: list[list[str]]) -> str:
        return signature([*parts, configs] if any(entry[-1] for entry in configs) else parts)

    def full() -> str:
        dotenv = dotenv_digests(os.environ, path.parent)
        return signed(configs + dotenv) if dotenv else bare

    bare = signed(configs)
    return Signature(bare, full), time.monotonic(), path.parent


def stamp_verdict(
    req: Request, stamp: tuple[Signature, float, Path] | None
) -> tuple[int | None, Verdict | None]:
    """(exit code, None) when the build stamp proves the request a no-op (and says so as the build would);
    else (None, what the stamp says, if anything)."""
    if stamp is None:
        return None, None
    from agentmake.plan.stamp import check

    verdict = check(stamp[2], stamp[0])
    if req.verbose and verdict is not None:  # (none yet: the usual build follows, nothing to explain)
        sys.stderr.write(f"agentmake: build stamp: {_stamp_says(verdict)}\n")
    if verdict is None or not verdict.up_to_date:
        return None, verdict
    if req.dry_run:
        from agentmake.preview import dry_run_line

        _out(dry_run_line(0, verdict.tasks))
    elif not req.question:  # (-s too: silent keeps the summary line, as a build's `SilentDisplay` does)
        from agentmake.scheduler.summary import summary_line

        _out(summary_line({"up-to-date": verdict.tasks}, time.monotonic() - stamp[1]))
        for line in verdict.lines:
            _out(term_safe(line))
    return EXIT_OK, None


def _stamp_says(verdict: Verdict) -> str:
    if verdict.up_to_date:
        return "nothing changed since the last build: up to date without loading the Agentfile"
    if not verdict.graph_same:
        return "the Agentfile, a listed directory or the state changed: deciding every task"
    return f"{len(verdict.changed)} input or output file(s) changed: deciding only their tasks and dependents"
