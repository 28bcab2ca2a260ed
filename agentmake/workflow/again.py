"""The command line a hint tells to run (`again`): this invocation's -C DIR, -f FILE and VAR=value words kept
around the words of the hint, so that copying it runs on the same project with the same values; a value
that may be a secret is shown as `VAR=…`."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentmake.workflow import Request


def again(req: Request, *words: str) -> str:
    """``agentmake [-C DIR] [-f FILE] WORDS... [VAR=value...]``, each word quoted for a POSIX shell, the
    directory and Agentfile as they were given. A value is left out (``VAR=…``) when its variable's name looks
    secret, it holds a secret of the environment (`runners.redact.SecretValues`, as a prompt's memo keeps
    it out of the state) or a URL's password or secret parameter (`runners.urlsecrets.without_secrets`)."""
    from agentmake.runners.redact import environ_secrets
    from agentmake.runners.urlsecrets import without_secrets

    said = ["agentmake"]
    if req.given_directory != ".":
        said += ["-C", shlex.quote(req.given_directory)]
    if req.agentfile is not None:
        said += ["-f", shlex.quote(str(req.agentfile))]
    said += [shlex.quote(word) for word in words]
    secret = environ_secrets()
    for name, value in req.overrides.items():
        hidden = secret(name, value) or without_secrets(value) != value
        said.append(f"{shlex.quote(name)}=…" if hidden else shlex.quote(f"{name}={value}"))
    return " ".join(said)
