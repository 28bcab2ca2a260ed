"""What the build stamp holds of the agent CLIs' config files (`runners.modelconfig`): the digest of what a
task's key reads of each (`stamped`: the model, claude's ``env`` block's model and endpoint variables without
their secrets), never of the file's bytes. A settings file may hold a token (claude's ``env`` block with
ANTHROPIC_AUTH_TOKEN, an ``apiKeyHelper``): the digest of the bytes would let a weak one be guessed (the
project's rule: tests/test_endpoint_secrets.py), and a new token alone would make no build a no-op. A file
that is missing, unreadable, too big, invalid or names nothing is as none: the signature as without it."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agentmake.runners.configfiles import OVER, PROJECT_FILES, UNDER, codex_files, read_config
from agentmake.runners.modelconfig import (
    ALIASES,
    CONFIGS,
    GEMINI_ENDPOINTS,
    config_values,
    dotenv_values,
    llm_aliases,
)

__all__ = ["dotenv_digests", "stamp_digests", "stamped"]


def stamp_digests(
    environ: Mapping[str, str], root: Path | None = None, *, dotenv: bool = True
) -> list[list[str]]:
    """What the build stamp's signature holds of the config files: the digest of what the keys read of each
    (`stamped`), never of the file's bytes (a settings file may hold a token: its digest would let a weak one
    be guessed, and a new token alone would make no no-op). [preset, digest ("" when there is no file or it
    names nothing)] for each preset with one, then [preset, project file, digest] for each of the project's
    files (`PROJECT_FILES`), [preset, path, digest] for each system file (`OVER`, `UNDER`) and each other
    file that may be a layer of codex's configuration (`configfiles.codex_files`: whether a runner's
    ``--profile`` or the project's trust selects it is not known before the Agentfile is read), ["codex",
    "project root", digest] of where codex finds its project's root when there are project files
    (`_codex_roots`), ["llm",
    "aliases.json", digest] for llm's aliases, and of the ``.env`` gemini loads ["gemini", ".env", digest of
    the model] and ["gemini", ".env NAME", digest] of each endpoint variable (`GEMINI_ENDPOINTS`): each only
    when it names something (none of them: the signature as without the files). `dotenv` False: without
    the ``.env``'s (`dotenv_digests`)."""
    found = []
    for preset, (where, _) in sorted(CONFIGS.items()):
        found.append([preset, _stamped(preset, read_config(where(environ)), root)])
    for preset, names in sorted(PROJECT_FILES.items()):
        for name in names:
            digest = _stamped(preset, None if root is None else read_config(root / name), root)
            if digest:
                found.append([preset, name, digest])
    for preset in sorted(OVER.keys() | UNDER.keys()):
        for where in (*OVER.get(preset, ()), *UNDER.get(preset, ())):
            path = where(environ)
            digest = _stamped(preset, read_config(path), root)
            if digest:
                found.append([preset, str(path), digest])
    user = CONFIGS["codex"][0](environ) if "codex" in CONFIGS else None
    codex = codex_files(environ, root) if user is not None else []
    layers = {path: read_config(path) for path in codex if path != user}  # (system, profile, project files)
    for path, data in layers.items():
        digest = _stamped("codex", data, root)
        if digest:
            found.append(["codex", str(path), digest])
    roots = _codex_roots(layers, root)
    if roots:
        found.append(["codex", "project root", _digest(roots)])
    aliases = llm_aliases(environ)
    if aliases:
        found.append(["llm", ALIASES, _digest(aliases)])
    return found + (dotenv_digests(environ, root) if dotenv else [])


def _codex_roots(paths: dict[Path, bytes | None], root: Path | None) -> list[str]:
    """Where codex working in `root` finds its project's root and git project (`authsettings.
    codex_project_root`, with the ``project_root_markers`` of each of its files `paths`, or ``.git``;
    `writesettings._git_project`), which decide which project files it reads and trusts: a ``git init`` in
    a directory above moves them, with no file changed. Nothing when no directory from `root` up holds a
    ``.codex/config.toml`` (`paths`: `configfiles.codex_files` but the user's, each with what it holds, as
    read for its digest), so that the signature is as without it."""
    if root is None or not any(p.parent.name == ".codex" for p in paths):
        return []
    real = Path(os.path.realpath(root))
    if not any(p.parent.name == ".codex" and p.parent.parent in (real, *real.parents) for p in paths):
        return []
    from agentmake.runners.authsettings import codex_project_root
    from agentmake.runners.writesettings import _git_project

    lists: list[list[str]] = [[".git"]]
    for data in paths.values():
        markers = None if data is None else config_values("codex", data).get("markers")
        if isinstance(markers, list) and markers not in lists:
            lists.append(markers)
    git = _git_project(real)
    return [str(codex_project_root(markers, real)) for markers in lists] + [str(git or "")]


def dotenv_digests(environ: Mapping[str, str], root: Path | None = None) -> list[list[str]]:
    """`stamp_digests`' entries of the ``.env`` gemini loads: the digests of what the keys read of it alone
    (the file holds API keys). Finding it walks every directory from `root` up (`dotenv.env_file`)."""
    values = dotenv_values(environ, root)
    found = [["gemini", ".env", _digest_text(values["GEMINI_MODEL"])]] if "GEMINI_MODEL" in values else []
    for name in GEMINI_ENDPOINTS:
        if name in values:
            found.append(["gemini", f".env {name}", _digest_text(values[name])])
    return found


def stamped(preset: str, data: bytes, root: Path | None = None) -> dict[str, Any]:
    """What the keys read of a config file of `preset`'s CLI (`modelconfig.config_values`), with no secret:
    the model (codex: with its sandbox mode, root markers, the project's trust), of claude's ``env`` block
    ANTHROPIC_MODEL and the endpoint variables, a URL without its user, password or key (as a key holds it:
    `presets.env_endpoint`). Never a token, an ``apiKeyHelper`` or any other setting."""
    values = config_values(preset, data, root)
    endpoints = values.get("endpoints")
    if endpoints:
        from agentmake.runners.modelenv import ENDPOINT_HOSTS
        from agentmake.runners.urlsecrets import without_secrets

        values["endpoints"] = {
            n: without_secrets(v) if n in ENDPOINT_HOSTS else v for n, v in endpoints.items()
        }
    return values


def _stamped(preset: str, data: bytes | None, root: Path | None = None) -> str:
    values = None if data is None else stamped(preset, data, root)
    return _digest(values) if values else ""


def _digest(values: object) -> str:
    return _digest_text(json.dumps(values, sort_keys=True))


def _digest_text(text: str) -> str:
    import xxhash

    return xxhash.xxh3_128_hexdigest(text.encode("utf-8", "surrogateescape"))
