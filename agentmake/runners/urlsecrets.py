"""What of an endpoint variable's value decides an answer: the value without the secrets a URL may carry.

An endpoint variable (`modelenv.ENDPOINT_ENV`) is keyed by the digest of `without_secrets(value)`
(`presets.env_endpoint`): a digest of the value itself, kept in the state, would let a weak password in it be
guessed offline. What is taken out changes who is asking, not which service answers, so changing it alone
reruns nothing:

- the userinfo (``user:password@``) before the host: ``https://me:hunter2@proxy.example/v1`` is keyed as
  ``https://proxy.example/v1``;
- the value of a query (or fragment) parameter whose name `SECRET_PARAMS` lists, in any case, ``-`` read as
  ``_``: ``https://h.example/v1?api_key=abc&x=1`` is keyed as ``https://h.example/v1?api_key=&x=1``.

Anything else is the value as given, character for character: a value with no userinfo and no such
parameter (a plain URL, a bare ``host:port``, a switch such as ``1``) is returned unchanged, so its digest,
and every key made before this module, stays as it was. The text is split by hand, not parsed (a URL that
`urllib` refuses, such as one with an unclosed ``[``, still loses its secrets). It imports no other agentmake
module: the build stamp's signature uses it too (`workflow.stamping`), before anything else is loaded.
"""

from __future__ import annotations

import re

__all__ = ["SECRET_PARAMS", "without_secrets"]

# query parameters whose value is a credential (their names lowercased, `-` as `_`): the one list
SECRET_PARAMS = frozenset({
    "key", "api_key", "apikey", "x_api_key", "subscription_key", "ocp_apim_subscription_key",
    "token", "access_token", "auth_token", "id_token", "refresh_token", "session_token", "x_goog_api_key",
    "secret", "client_secret", "password", "passwd", "pwd", "auth", "authorization",
    "sig", "signature", "credential", "x_amz_signature", "x_amz_credential", "x_amz_security_token",
    "x_goog_signature", "x_goog_credential",
})  # fmt: skip

_SEPARATORS = re.compile(r"([&;])")


def without_secrets(value: str) -> str:
    """`value` with its userinfo removed and the values of its `SECRET_PARAMS` blanked; `value` itself (the
    same string) when it has neither.

    Example: ``without_secrets("https://u:p@h.example/v1?Token=t&n=1#sig=s")`` is
    ``"https://h.example/v1?Token=&n=1#sig="``; ``without_secrets("localhost:11434")`` is unchanged."""
    scheme, sep, rest = value.partition("://")
    if not sep:
        scheme, rest = "", value
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority, tail = rest[:end], rest[end:]
    host = authority.rpartition("@")[2]
    before_fragment, hash_, fragment = tail.partition("#")
    path, mark, query = before_fragment.partition("?")
    # (unchanged, this is `value` again: removing a userinfo or blanking a value only shortens it)
    return f"{scheme}{sep}{host}{path}{mark}{_blanked(query)}{hash_}{_blanked(fragment)}"


def _blanked(query: str) -> str:
    """`query` (``a=1&key=s``) with the values of its `SECRET_PARAMS` blanked (``a=1&key=``)."""
    if "=" not in query:
        return query
    pieces = _SEPARATORS.split(query)
    for i, piece in enumerate(pieces):
        name, eq, _ = piece.partition("=")
        if eq and _param_name(name) in SECRET_PARAMS:
            pieces[i] = name + "="
    return "".join(pieces)


def _param_name(name: str) -> str:
    """A parameter's name as `SECRET_PARAMS` lists it: percent- and plus-decoded, lowercased, `-` as `_`."""
    from urllib.parse import unquote_plus

    return unquote_plus(name).strip().lower().replace("-", "_")
