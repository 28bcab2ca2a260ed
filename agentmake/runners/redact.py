"""Keep secrets from the environment out of what agentmake writes and shows (`Redactor`).

An agent can print a credential it was given (a CLI quoting the refused key: ``invalid x-api-key 'sk-…'``,
or a shell agent running `env`). Whatever agentmake derives from an agent's output (the one-line messages of
a failure, shown on the terminal and kept in the state database, `status.md` and reports; the output of a
`check` command) and the attempt's log files under ``.agentmake/logs/`` have every such value replaced by
``[redacted NAME]``.

Which values: those of the environment variables whose names look secret (`looks_secret`: a KEY(S),
TOKEN(S), SECRET(S), PASSWORD, PASSPHRASE, CREDENTIALS, DSN, JWT, AUTH... part, a PWD part of a
longer name as in MYSQL_PWD, a CONNECTION_STRING, a WEBHOOK, HEADERS: of these, each credential header's
value too, as a client logs it, `header_values`), and the password of a URL in the value of any variable
(``DATABASE_URL=postgres://app:PASSWORD@db/x``, ``HTTPS_PROXY=http://me:PASSWORD@proxy``: the password, as
written and percent-decoded, and ``user:PASSWORD@`` whatever its length; a token given as the user,
``https://TOKEN@github.com``, in its URL). Every child agentmake starts
takes its environment from agentmake's own: an LLM agent gets its preset's credential variables and its
runner's declared `env` (a subset), a shell agent or a check command all of it; so one redactor built from
agentmake's environment covers every attempt. Values shorter than `MIN_LENGTH` characters are left alone:
replacing a "1" or "true" everywhere would mangle the text and hides nothing. Each line of a multi-line value
(a PEM key) is a secret of its own too, at least `MIN_LENGTH` long: `-v` streams output a line at a time.

Each value is also found as a JSON string holds it, for the CLIs that print JSON (claude, codex, gemini): a
value with a ``"``, ``\\``, control character or non-ASCII letter is escaped there (`json_forms`); and as a
shell or Python quotes it listing its environment (``export -p``, ``set``, ``print(os.environ)``: a ``$``,
``'`` or ``\\`` escaped, `quoted_forms`); and percent-encoded, as an HTTP client logs a query string or
a form body (`percent_forms`).

Not redacted: the answer of an agent (the output file): that is the agent's work, which agentmake never edits
(a shell or multi-output agent writes its files itself, so it could not anyway).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Mapping
from itertools import pairwise
from pathlib import Path
from typing import BinaryIO

from agentmake.lazyre import LazyPattern
from agentmake.runners.capture import text_chunks

MIN_LENGTH = 8  # characters: shorter values are not redacted

# A name part (split on anything but letters and digits) that marks a secret: exactly one of these words, or
# one ending with a word of `_SECRET_ENDS` (APIKEY, ACCESSTOKEN, OPENAI_API_KEYS). AUTHOR (GIT_AUTHOR_NAME) is
# not; PWD is only in a longer name (MYSQL_PWD: the shell's PWD and OLDPWD are the working directory).
_SECRET_PARTS = frozenset({"AUTH", "PASS", "PAT", "CREDS", "AUTHORIZATION"})
_SECRET_ENDS = (
    "KEY", "KEYS", "TOKEN", "TOKENS", "SECRET", "SECRETS", "PASSWORD", "PASSWORDS", "PASSWD", "PASSPHRASE",
    "PASSPHRASES", "CREDENTIAL", "CREDENTIALS", "DSN", "CONNSTR", "CONNECTIONSTRING",
    "JWT",  # (GitLab's CI_JOB_JWT)
    "WEBHOOK", "WEBHOOKS",  # (a webhook's URL is its credential: SLACK_WEBHOOK)
    "HEADERS",  # (headers a client sends hold its credential: OTEL_EXPORTER_OTLP_HEADERS=Authorization=…)
)  # fmt: skip
_SECRET_PAIRS = frozenset({("CONNECTION", "STRING"), ("CONN", "STRING"), ("WEBHOOK", "URL")})
_PARTS = LazyPattern(r"[^A-Z0-9]+")
# `scheme://user:password@`: the password runs to the authority's last '@' (one may be left unencoded)
_URL_PASSWORD = LazyPattern(r"[A-Za-z][A-Za-z0-9+.-]*://([^/?#@:\s]*):([^/?#\s]+)@")
# `scheme://TOKEN@`: a user with no password, as a token is given (`https://ghp_…@github.com`)
_URL_USER = LazyPattern(r"[A-Za-z][A-Za-z0-9+.-]*://([^/?#@:\s]+)@")


def looks_secret(name: str) -> bool:
    """Whether an environment variable of this name probably holds a credential (ANTHROPIC_API_KEY,
    CLAUDE_CODE_OAUTH_TOKEN, GOOGLE_APPLICATION_CREDENTIALS, MY_AGENT_TOKEN, DB_PASSWORD, MYSQL_PWD,
    SENTRY_DSN, AZURE_STORAGE_CONNECTION_STRING, CI_JOB_JWT, OTEL_EXPORTER_OTLP_HEADERS...); also whether a
    header of such a variable is a credential (Authorization, X-Api-Key)."""
    parts = [p for p in _PARTS.split(name.upper()) if p]
    if any(part in _SECRET_PARTS or part.endswith(_SECRET_ENDS) for part in parts):
        return True
    if len(parts) > 1 and "PWD" in parts:
        return True
    return any(pair in _SECRET_PAIRS for pair in pairwise(parts))


_GO_HTML = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})
_HEX = LazyPattern(r"\\u[0-9a-f]{4}")


def json_forms(value: str) -> list[str]:
    """How `value` may appear inside a JSON string other than as it is: escaped as Python's `json.dumps`
    does, with and without `ensure_ascii` (``\\u00e9`` or ``é``), with ``/`` as ``\\/`` (PHP, some Java),
    with ``<>&`` as Go writes them (``\\u003c``), with upper-case hex (``\\u00E9``), and each of those once
    more escaped (a tool's JSON output quoted in a CLI's JSON event). A value JSON leaves alone has none."""
    import json  # (here: only a build with secrets to redact needs it)

    once: dict[str, None] = {}
    for ascii_only in (True, False):
        form = json.dumps(value, ensure_ascii=ascii_only)[1:-1]
        for f in (form, form.replace("/", "\\/"), form.translate(_GO_HTML)):
            once[f] = None
            once[_HEX.sub(lambda m: m.group(0).upper().replace("\\U", "\\u"), f)] = None
    forms = dict(once)
    for f in once:
        forms[json.dumps(f)[1:-1]] = None
    forms.pop(value, None)
    return list(forms)


_SH_DOUBLE = LazyPattern(r'([\\$"`])')


def quoted_forms(value: str) -> list[str]:
    """How `value` may appear quoted by a shell or Python listing an environment, other than as it is: in
    double quotes (bash's ``export -p``/``declare -p``: ``\\`` before each of ``\\ $ " ` ``), in single quotes
    (``set``, dash's ``export -p``: a ``'`` as ``'\\''`` or ``'"'"'``), and as Python's `repr` (``print(
    os.environ)``). A value none of them escapes has none."""
    forms = dict.fromkeys((
        _SH_DOUBLE.sub(r"\\\1", value),
        value.replace("'", "'\\''"),
        value.replace("'", "'\"'\"'"),
        repr(value)[1:-1],
    ))  # fmt: skip
    forms.pop(value, None)
    return list(forms)


def percent_forms(value: str) -> list[str]:
    """How `value` may appear percent-encoded by an HTTP client (a query string, a form body), other than as
    it is: every reserved character encoded or `/` kept, a space as ``%20`` or ``+``, in upper- and
    lower-case hex. A value of letters, digits and ``-._~`` has none."""
    from urllib.parse import quote, quote_plus

    forms: dict[str, None] = {}
    for f in (quote(value, safe=""), quote(value), quote_plus(value, safe=""), quote_plus(value)):
        forms[f] = None
        forms[re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), f)] = None
    forms.pop(value, None)
    return list(forms)


def url_passwords(name: str, value: str) -> list[tuple[str, str]]:
    """(text, replacement) for each password of a URL in `value` (the variable `name`'s): the password as
    written and percent-decoded (each if at least `MIN_LENGTH` long), and ``user:password@`` of any length
    (in that context a short password is no common word), which keeps the user: ``user:[redacted NAME]@``.
    A user with no password at least `MIN_LENGTH` long (a token: ``https://ghp_…@github.com``) is
    redacted in its URL only: ``://[redacted NAME]@``."""
    from urllib.parse import unquote

    found = []
    for m in _URL_PASSWORD.finditer(value):
        user, password = m.group(1), m.group(2)
        found.append((f"{user}:{password}@", f"{user}:[redacted {name}]@"))
        for text in dict.fromkeys((password, unquote(password))):
            if len(text) >= MIN_LENGTH:
                found.append((text, f"[redacted {name}]"))
    for m in _URL_USER.finditer(value):
        # only as the URL has it: the same word alone may be a plain user name (`postgres://app_user@db`)
        if len(m.group(1)) >= MIN_LENGTH:
            found.append((f"://{m.group(1)}@", f"://[redacted {name}]@"))
    return found


# a header in a HEADERS variable: OTEL's `name=value` (comma-separated, the value percent-encoded) or
# `Name: value` (one a line, ANTHROPIC_CUSTOM_HEADERS)
_HEADER = LazyPattern(r"([^\s,:=]+)\s*[:=]\s*([^,\n]+)")


def header_values(value: str) -> list[str]:
    """The credentials in the value of a variable of headers (`OTEL_EXPORTER_OTLP_HEADERS`): the value of each
    header whose name `looks_secret` (``Authorization=Bearer%20TOKEN``, ``X-Api-Key: KEY``), as written and
    percent-decoded, and the token after its scheme (``Bearer``, ``Basic``): a client logging a header it
    sends writes it its own way (``Authorization: Bearer TOKEN``), not as the variable has it."""
    from urllib.parse import unquote

    found: dict[str, None] = {}
    for m in _HEADER.finditer(value):
        if looks_secret(m.group(1)):
            for text in (m.group(2).strip(), unquote(m.group(2)).strip()):
                if text:  # (`Authorization= ,…`: a header left empty)
                    found[text] = None
                    found[text.split()[-1]] = None
    return list(found)


class Redactor:
    """Replaces each secret value with ``[redacted NAME]``; calling it on text without one costs a substring
    search per secret. An empty redactor (no secrets) is falsy and changes nothing."""

    __slots__ = ("_bytes", "_pairs")

    def __init__(self, secrets: Mapping[str, str], *, urls: Mapping[str, str] | None = None) -> None:
        """`secrets`: name -> value; values shorter than `MIN_LENGTH` (once stripped) are ignored. `urls`:
        name -> value whose URL passwords are secret (`url_passwords`), the rest of the value not."""
        found: dict[str, str] = {}
        for name in sorted(secrets):
            value = secrets[name].strip()
            if len(value) >= MIN_LENGTH and value not in found:
                found[value] = f"[redacted {name}]"
                # each line of a multi-line value (a PEM key) too: `-v` shows output a line at a time, and
                # a tool may print the value in part or with other line endings
                for line in value.splitlines():
                    if len(line.strip()) >= MIN_LENGTH:
                        found.setdefault(line.strip(), f"[redacted {name}]")
                if name.upper().endswith("HEADERS"):  # (a header's credential, as a client logs it)
                    for text in header_values(value):
                        if len(text) >= MIN_LENGTH:
                            found.setdefault(text, f"[redacted {name}]")
        for name in sorted(urls or {}):
            for text, replacement in url_passwords(name, (urls or {})[name]):
                found.setdefault(text, replacement)
        for text, replacement in list(found.items()):
            for form in (*json_forms(text), *quoted_forms(text), *percent_forms(text)):
                found.setdefault(form, replacement)
        # longest first: a secret that contains another is replaced whole
        self._pairs = sorted(found.items(), key=lambda p: -len(p[0]))
        self._bytes = [(v.encode("utf-8", "surrogateescape"), r.encode()) for v, r in self._pairs]

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Redactor:
        """A redactor of every variable of `environ` whose name `looks_secret`, and of the passwords of URLs
        in any variable."""
        secret = {name: value for name, value in environ.items() if looks_secret(name)}
        return cls(secret, urls={name: value for name, value in environ.items() if "://" in value})

    def __bool__(self) -> bool:
        return bool(self._pairs)

    def __call__(self, text: str) -> str:
        for value, replacement in self._pairs:
            if value in text:
                text = text.replace(value, replacement)
        return text

    def redact_bytes(self, data: bytes) -> bytes:
        for value, replacement in self._bytes:
            if value in data:
                data = data.replace(value, replacement)
        return data

    def redact_file(self, path: Path | str) -> bool:
        """Rewrite the file at `path` without secrets; True if it held one. A missing file is no error (a
        stream that printed nothing leaves no log). The file is rewritten in place (same inode and mode); one
        without a secret is only searched, a chunk at a time, and left as it is."""
        if not self._pairs:
            return False
        leaked = False
        try:
            with open(path, "r+b") as fh:
                if not self._holds_secret(fh):  # (most logs: left as they are, never read whole)
                    return False
                fh.seek(0)
                data = fh.read()
                clean = self.redact_bytes(data)
                if clean == data:
                    return False
                leaked = True
                fh.seek(0)
                fh.write(clean)
                fh.truncate()
                return True
        except FileNotFoundError:
            return False
        except OSError:  # e.g. a full disk while rewriting it: rather no log than a log that leaks
            if leaked:
                with contextlib.suppress(OSError):
                    os.unlink(path)
            return leaked

    def _holds_secret(self, fh: BinaryIO) -> bool:
        """Whether the open file holds a secret: read a chunk at a time, each searched together with the end
        of the one before it (a value may straddle two), so a log of gigabytes takes a chunk of memory."""
        keep = max(len(value) for value, _ in self._bytes) - 1
        tail = b""
        while chunk := fh.read(_SCAN_CHUNK):
            window = tail + chunk
            if any(value in window for value, _ in self._bytes):
                return True
            tail = window[-keep:] if keep else b""
        return False


_SCAN_CHUNK = 1 << 20  # bytes of a log searched for secrets at a time

_MARK = LazyPattern(r"\[redacted [^\s\]]+\]")


def holds_redaction(text: str) -> bool:
    """Whether `text` (an answer read back from a log) holds what a `Redactor` puts in a secret's place: it
    is then no longer the text as the agent gave it. (Any variable's name: the environment may have changed
    since the log was redacted.)"""
    return "[redacted " in text and _MARK.search(text) is not None


def file_holds_redaction(path: Path | str) -> bool:
    """`holds_redaction` of the text of the file at `path`, read a chunk at a time (`capture.text_chunks`),
    each searched together with the end of the one before it (a mark may straddle two)."""
    tail = ""
    for chunk in text_chunks(path):
        window = tail + chunk
        if holds_redaction(window):
            return True
        tail = window[-_MARK_SPAN:]
    return False


_MARK_SPAN = 256  # characters of a chunk searched again with the next (a variable's name is no longer)


NO_REDACTION = Redactor({})


class SecretValues:
    """Whether an Agentfile variable's value is a secret, so that what agentmake keeps and shows of it (the
    memos of the values a prompt reads, `explain`) is its digest: its name looks secret (`api_key`), or it
    holds a secret of the environment (CI passing one: ``agentmake tok=$GH_TOKEN``). The environment's
    redactor is built on first use."""

    __slots__ = ("_environ", "_redact", "_seen")

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ
        self._redact: Redactor | None = None
        self._seen: dict[tuple[str, str], bool] = {}  # (every task of a fan-out reads the same variables)

    def __call__(self, name: str, value: str) -> bool:
        known = self._seen.get((name, value))
        if known is None:
            known = looks_secret(name)
            if not known:
                if self._redact is None:
                    self._redact = Redactor.from_environ(self._environ)
                known = bool(self._redact) and self._redact(value) != value
            self._seen[(name, value)] = known
        return known


_shared: dict[str, tuple[dict[str, str], SecretValues]] = {}


def environ_secrets() -> SecretValues:
    """The `SecretValues` of this process's environment: one, whose redactor and answers are kept, while the
    environment stays as it is (every task of a dry run asks of the same variables); a new one once it changed
    (a program that sets a variable)."""
    environ = dict(os.environ)
    known = _shared.get("environ")
    if known is None or known[0] != environ:
        known = _shared["environ"] = (environ, SecretValues(environ))
    return known[1]
