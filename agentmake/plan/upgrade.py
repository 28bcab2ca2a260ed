"""A task's record made by an older agentmake, as this one spells it: of key format 1 (`keys_v1`), a shell
task's made before its key held which inputs are executable, a summary report's, read by a task, made
before its key held the shape of its run summary rather than the names in it, or an LLM call's made before
its endpoint variables were keyed without their secrets, or an LLM call's made before its key held the
model its CLI takes from its config file; and the key its result is cached under. And with no record of it,
the key an LLM call had when its endpoint variables were keyed with their secrets (`endpoint_key_before`):
a result made then for an endpoint switched away from and back to is still found."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from agentmake.plan.keys import KEY_VERSION, key_of
from agentmake.plan.pathless import SUFFIX, pathless_parts, with_output_paths
from agentmake.store import TaskRecord

__all__ = ["endpoint_key_before", "upgraded"]


def upgraded(
    rec: TaskRecord,
    now: dict[str, Any] | None = None,
    named: str | None = None,
    before: Mapping[str, str] | None = None,
) -> tuple[TaskRecord, str | None]:
    """A record of key format 1 as format 2 spells it, and the key its result is cached under (its own);
    `rec` itself and None if it is of this format (see `keys_v1`). With the task's key parts `now`, a shell
    task's record also gets the modes it was not keyed with (`_modes_upgraded`), with `named` (the
    `keys.summary_digest` of the tasks a report's run summary covers now) a summary report's record the
    shape it was not keyed with (`_shape_upgraded`), and with `before` (the digests of the whole values of
    the endpoint variables the task's CLI receives whose secrets are now left out,
    `presets.env_endpoint_before`) an LLM call's record the digests they have now (`_endpoint_upgraded`);
    and an LLM call's record keyed before the model its CLI takes from its config file was, the model `now`
    holds (`_config_model_upgraded`); and the record of a task whose key holds no output path now
    (`plan.pathless`) keyed with it (`_paths_upgraded`)."""
    if rec.status == "partial":
        return rec, None
    cached_as = None
    if rec.parts.get("v") != KEY_VERSION:
        from agentmake.plan import keys_v1  # (only for a project not built since the upgrade)

        parts = keys_v1.upgrade(rec.parts, rec.key)
        if parts is None:
            return rec, None
        rec, cached_as = dataclasses.replace(rec, key=key_of(parts), parts=parts), rec.key
    if now is not None and SUFFIX in now:
        without_paths = _paths_upgraded(rec)
        if without_paths is not None:  # (and on: it may be of before the models were keyed so, too)
            rec, cached_as = without_paths, cached_as or rec.key
    elif now is not None and "outputs" in now:
        with_paths = _paths_back(rec)
        if with_paths is not None:
            rec, cached_as = with_paths, cached_as or rec.key
    if now is not None and "_model_from" in now:
        with_model = _config_model_upgraded(rec, now)
        if with_model is not None:  # (and on: it may be of before the endpoints were keyed so, too)
            rec, cached_as = with_model, cached_as or rec.key
    if now is not None and "_cfgmodel" in now:
        with_switches = _switches_upgraded(rec, now)
        if with_switches is not None:  # (and on: it may be of before the files were read so, too)
            rec, cached_as = with_switches, cached_as or rec.key
    if now is not None and "_model_from" not in now:
        with_command = _codex_command_upgraded(rec, now)
        if with_command is not None:  # (and on, as the model's upgrades)
            rec, cached_as = with_command, cached_as or rec.key
    if now is not None and ("_model_before" in now or "_applied" in now or _codex_cd(rec.parts, now)):
        with_new = _new_sources_upgraded(rec, now)
        if with_new is not None:
            rec, cached_as = with_new, cached_as or rec.key
    if now is not None and before:
        without_secrets = _endpoint_upgraded(rec, now, before)
        if without_secrets is not None:
            return without_secrets, cached_as or rec.key
    if now is not None and "executable" in now:
        with_modes = _modes_upgraded(rec, now["executable"])
        if with_modes is not None:
            return with_modes, cached_as or rec.key
    if now is not None and "_shape" in now and named is not None:
        with_shape = _shape_upgraded(rec, now["summarised"], named)
        if with_shape is not None:
            return with_shape, cached_as or rec.key
    return rec, cached_as


def _paths_upgraded(rec: TaskRecord) -> TaskRecord | None:
    """An LLM call's record keyed with its output's path by an older agentmake, of a task whose key holds its
    output's suffix alone now (`plan.pathless`: nothing the agent is given names its output): spelt without
    the path. Its parts made its key, so it is the record of the call they describe; if the task's key parts
    now are those (compared by key, by the caller), the task is up to date if nothing else changed (a
    project built before runs nothing after), its output restored from the cache at its new path if it was
    renamed. None for a record keyed without paths, of several outputs or a check (such a task's key holds
    its paths now too), or whose parts do not make its key."""
    parts = rec.parts
    outputs = parts.get("outputs")
    if SUFFIX in parts or parts.get("kind") != "agent" or parts.get("check") is not None:
        return None
    if not isinstance(outputs, list) or len(outputs) != 1 or not isinstance(outputs[0], str):
        return None
    if key_of(parts) != rec.key:
        return None
    parts = pathless_parts(parts, outputs)
    return dataclasses.replace(rec, key=key_of(parts), parts=parts)


def _paths_back(rec: TaskRecord) -> TaskRecord | None:
    """The record of a task keyed without its output path (`plan.pathless`), of a task whose key holds it
    now (another task alike came: `pathless.siblings`; a check added is `judge._only_check_changed`'s):
    spelt with the path it was made at. As `_paths_upgraded` the other way: the task is up to date if
    nothing else changed, so a sibling added does not make a task built before pay again. None for a record
    keyed with paths, of several outputs, or whose parts do not make its key."""
    parts = rec.parts
    if SUFFIX not in parts or len(rec.outputs) != 1 or key_of(parts) != rec.key:
        return None
    parts = with_output_paths(parts, list(rec.outputs))
    return dataclasses.replace(rec, key=key_of(parts), parts=parts)


def _modes_upgraded(rec: TaskRecord, executable: list[str]) -> TaskRecord | None:
    """A shell task's record made before its key held which inputs are executable (no "_modes" memo), with
    those that are now (`executable`): what they were then is unknown, and a build that did not key them
    ran nothing for a chmod either; so the task is up to date if nothing else changed (make's answer), and
    a later chmod reruns it. None for a record that keyed them, or whose parts do not make its key."""
    parts = rec.parts
    if parts.get("kind") != "shell" or "_modes" in parts or "executable" in parts or key_of(parts) != rec.key:
        return None
    parts = dict(parts, executable=executable, _modes=1)
    return dataclasses.replace(rec, key=key_of(parts), parts=parts)


def _shape_upgraded(rec: TaskRecord, shape: str, named: str) -> TaskRecord | None:
    """A summary report's record made before its key held the shape of its run summary when a task reads it
    (no "_shape" memo: "summarised" was the `summary_digest` of the tasks it covers), with `shape` in its
    place: if it keyed the tasks the summary covers now (`named`), it is of the same result, and the report
    is up to date if nothing else changed, so the task that reads it is not paid for again after the
    upgrade. None for a record that keyed the shape, keyed other tasks, or whose parts do not make its key."""
    parts = rec.parts
    if parts.get("kind") != "report" or "_shape" in parts or parts.get("summarised") != named:
        return None
    if key_of(parts) != rec.key:
        return None
    parts = dict(parts, summarised=shape, _shape=1)
    return dataclasses.replace(rec, key=key_of(parts), parts=parts)


def _endpoint_upgraded(rec: TaskRecord, now: dict[str, Any], before: Mapping[str, str]) -> TaskRecord | None:
    """An LLM call's record keyed when an endpoint variable's digest was of its whole value, secrets and all
    (`presets.env_endpoint`): each such variable the record keyed with the digest the value has now in full
    (`before`) is given the one `now` keys it with, without its secrets. It is the same value, so the same
    service: the task is up to date if nothing else changed (a project built before runs nothing after), and
    the digest of the whole value leaves the state with the record's rewrite (`Store.note_rekey`). None when
    no variable was keyed so (another value, or one keyed without its secrets), or the record's parts do not
    make its key."""
    parts = rec.parts
    runner, runner_now = parts.get("runner"), now.get("runner")
    if not isinstance(runner, dict) or not isinstance(runner_now, dict):
        return None
    endpoint, endpoint_now = runner.get("endpoint"), runner_now.get("endpoint")
    if not isinstance(endpoint, dict) or not isinstance(endpoint_now, dict):
        return None
    renewed = {
        name: endpoint_now[name]
        for name, digest in before.items()
        if name in endpoint_now and isinstance(endpoint.get(name), list) and endpoint[name][1:] == [digest]
    }
    if not renewed or key_of(parts) != rec.key:
        return None
    parts = dict(parts, runner={**runner, "endpoint": {**endpoint, **renewed}})
    return dataclasses.replace(rec, key=key_of(parts), parts=parts)


def endpoint_key_before(now: dict[str, Any], before: Mapping[str, str]) -> str | None:
    """The key the task of key parts `now` had when its endpoint variables were keyed by the digests of their
    whole values, secrets and all (`before`: `presets.env_endpoint_before`), the key a result of this very
    call made then is cached under; None when no variable was keyed otherwise then. Unlike
    `_endpoint_upgraded`, it needs no record of that call: a result no record names any longer (the task
    was built for another endpoint since) is found by it, and moved to the key `now` makes
    (`Store.cache_move`), as the old key holds the digest of a password.

    Example: with ``now["runner"]["endpoint"] == {"ANTHROPIC_BASE_URL": ["h.example", "<digest of
    https://h.example/>"]}`` and ``before == {"ANTHROPIC_BASE_URL": "<digest of https://me:pw@h.example/>"}``,
    the key of `now` with that second digest in place of the first."""
    runner = now.get("runner")
    if not isinstance(runner, dict) or not isinstance(endpoint := runner.get("endpoint"), dict):
        return None
    then = {name: [keyed[0], before[name]] for name, keyed in endpoint.items() if name in before}
    if not then or all(endpoint[name] == keyed for name, keyed in then.items()):
        return None
    return key_of(dict(now, runner={**runner, "endpoint": {**endpoint, **then}}))


def _switches_upgraded(rec: TaskRecord, now: dict[str, Any]) -> TaskRecord | None:
    """A gemini call's record keyed before gemini's login switches were endpoint variables ("_cfgmodel" 1
    to 3: `modelenv.AUTH_SWITCHES`, GOOGLE_GENAI_USE_GCA, CLOUD_SHELL, GEMINI_CLI_USE_COMPUTE_ADC): that
    agentmake passed them to gemini as this one does, but keyed none, so gemini asked the service they chose
    then as now: each of them `now` keys is given to the record, and the task is up to date if nothing else
    changed (an upgrade pays for no call again: a Cloud Shell sets CLOUD_SHELL=true in every shell). None
    for a record keyed since ("_cfgmodel" 4: a switch set later reruns), one that keyed a switch, or whose
    parts do not make its key."""
    from agentmake.runners.modelenv import AUTH_SWITCHES

    parts = rec.parts
    runner, runner_now = parts.get("runner"), now.get("runner")
    if (
        parts.get("_cfgmodel") not in _BEFORE_LAYERS
        or not isinstance(runner, dict)
        or not isinstance(runner_now, dict)
    ):
        return None
    endpoint, endpoint_now = runner.get("endpoint") or {}, runner_now.get("endpoint")
    if not isinstance(endpoint, dict) or not isinstance(endpoint_now, dict):
        return None
    added = {n: endpoint_now[n] for n in AUTH_SWITCHES if n in endpoint_now}
    if not added or any(n in endpoint for n in AUTH_SWITCHES) or key_of(parts) != rec.key:
        return None
    parts = dict(parts, runner={**runner, "endpoint": {**endpoint, **added}})
    return dataclasses.replace(rec, key=key_of(parts), parts=parts)


def _new_sources_upgraded(rec: TaskRecord, now: dict[str, Any]) -> TaskRecord | None:
    """`_new_model_upgraded`, then `_applied_upgraded`: a record of an older "_cfgmodel" given what the
    files read since name, its "_cfgmodel" then `now`'s (so that a later change of them reruns); None if
    neither."""
    moved = "_model_before" in now or _codex_cd(rec.parts, now)
    with_model = _new_model_upgraded(rec, now) if moved else None
    with_applied = _applied_upgraded(with_model or rec, now) if "_applied" in now else None
    done = with_applied or with_model
    return (
        None
        if done is None
        else dataclasses.replace(done, parts=dict(done.parts, _cfgmodel=now.get("_cfgmodel")))
    )


def _new_model_upgraded(rec: TaskRecord, now: dict[str, Any]) -> TaskRecord | None:
    """An LLM call's record keyed by an agentmake that read neither llm's aliases nor gemini's ``.env`` and
    system settings nor claude's managed settings ("_cfgmodel" 1), or a codex call's keyed by one that read
    config.toml alone ("_cfgmodel" 1 to 3, no "_model_before": `_codex_unread`), given the model `now` holds
    from one of them ("_model_before": the llm alias it resolves, or "*" for a file): that agentmake keyed
    the alias, or the model of the files it read (or none), while the CLI asked the model `now` holds; so the
    task is up to date if nothing else changed (as `_config_model_upgraded`: an upgrade pays for no call
    again), and a later change of the alias or the file reruns it. An alias: only a record that keyed that
    alias. A file: only a record that keyed no model or the model of a config file ("_model_from"), not the
    Agentfile's or the environment's. None otherwise, or for a record whose parts do not make its key."""
    parts, before = rec.parts, now.get("_model_before", "*")
    runner, runner_now = parts.get("runner"), now.get("runner")
    unread = parts.get("_cfgmodel") == 1 or _codex_unread(parts, now) or _codex_cd(parts, now)
    if not unread or not isinstance(runner, dict) or not isinstance(runner_now, dict):
        return None
    model = runner.get("model")
    if model == runner_now.get("model") or key_of(parts) != rec.key:
        return None
    if model != before and (before != "*" or (model is not None and "_model_from" not in parts)):
        return None
    parts = dict(parts, runner={**runner, "model": runner_now.get("model")})
    parts.pop("_model_from", None)
    if "_model_from" in now:
        parts["_model_from"] = now["_model_from"]
    parts.pop("_model_before", None)
    if "_model_before" in now:
        parts["_model_before"] = now["_model_before"]
    return dataclasses.replace(rec, key=key_of(parts), parts=parts)


def _codex_command_upgraded(rec: TaskRecord, now: dict[str, Any]) -> TaskRecord | None:
    """A codex call's record keyed by an agentmake that keyed the model of codex's config files though its
    command gives one (``-m``/``--model``, ``-c model=...``; "_cfgmodel" 1 to 3, before
    `modelconfig._codex_reading` left the files' model out then), which `now` keys as none: codex asked the
    command's model, which the key holds in the command, then as now; so the task is up to date if nothing
    else changed. None otherwise, or for a record whose parts do not make its key."""
    from agentmake.runners.argvflags import clap_value
    from agentmake.runners.authsettings import _codex_overrides

    parts = rec.parts
    runner, runner_now, command = parts.get("runner"), now.get("runner"), _words(parts.get("runner"))
    if (
        parts.get("_cfgmodel") not in _BEFORE_LAYERS
        or not isinstance(runner, dict)
        or not isinstance(runner_now, dict)
    ):
        return None
    if not _from_codex(parts.get("_model_from")) or runner.get("model") is None:
        return None
    if runner_now.get("model") is not None or command is None or key_of(parts) != rec.key:
        return None
    if not clap_value(command, "-m", "--model") and "model" not in _codex_overrides(command):
        return None
    parts = dict(parts, runner={**runner, "model": None})
    for memo in ("_model_from", "_model_before", "_cfgmodel"):
        parts.pop(memo, None)
    if "_cfgmodel" in now:
        parts["_cfgmodel"] = now["_cfgmodel"]
    return dataclasses.replace(rec, key=key_of(parts), parts=parts)


def _codex_cd(parts: dict[str, Any], now: dict[str, Any]) -> bool:
    """Whether `parts` are the record of a codex runner given ``-C``/``--cd DIR`` keyed by an agentmake that
    read its project's ``.codex`` files from the project root ("_cfgmodel" 1 to 3), not from DIR where
    codex works and read them (`authsettings.codex_cwd`), and `now` holds a model from codex's files: the
    model it keyed ("*": not known) may be another than codex used, as `_codex_unread`'s."""
    from agentmake.runners.argvflags import clap_value

    command = _words(parts.get("runner"))
    return (
        parts.get("_cfgmodel") in _BEFORE_LAYERS
        and command is not None
        and bool(clap_value(command, "-C", "--cd"))
        and _from_codex(now.get("_model_from"))
    )


def _codex_unread(parts: dict[str, Any], now: dict[str, Any]) -> bool:
    """Whether `parts` are a codex call's record keyed by an agentmake that read codex's config.toml alone
    ("_cfgmodel" 2 or 3; no "_model_before", which the one after writes for a model from another file),
    and `now` holds a model from a file it did not read ("*": `modelconfig._codex_reading`'s
    `ConfigReading.newer`, codex's system file or a trusted project's ``.codex/config.toml``), which codex
    read then as now: that agentmake keyed config.toml's model in its place."""
    return (
        parts.get("_cfgmodel") in (2, 3)
        and "_model_before" not in parts
        and now.get("_model_before") == "*"
        and _from_codex(now.get("_model_from"))
    )


# the "_cfgmodel" memos of the agentmakes before codex's layers merged and gemini's login switches were keyed
# (`keyparts.CFGMODEL` 4): their records are taken over by `_switches_upgraded`, `_codex_command_upgraded`
# and `_codex_cd`
_BEFORE_LAYERS = (1, 2, 3)


def _from_codex(source: Any) -> bool:
    """Whether `source` (a "_model_from" memo) names a model codex read from its files."""
    return isinstance(source, list) and source[:1] == ["codex"]


def _words(runner: Any) -> list[str] | None:
    """The command of `runner` (a key's runner parts), if it is a list of words."""
    command = runner.get("command") if isinstance(runner, dict) else None
    if isinstance(command, list) and all(isinstance(word, str) for word in command):
        return command
    return None


def _applied_upgraded(rec: TaskRecord, now: dict[str, Any]) -> TaskRecord | None:
    """A claude call's record keyed by an agentmake that did not read the endpoint variables an ``env`` block
    of claude's settings applies over its environment ("_cfgmodel" 1), or a gemini call's keyed by one that
    did not read the endpoint switch gemini's ``.env`` sets ("_cfgmodel" 1 or 2: `modelconfig.
    GEMINI_ENDPOINTS`): it keyed the environment's (or none), while the CLI called the service the file
    names, which `now` keys ("_applied": those variables); so each of them is given the one `now` holds and
    the task is up to date if nothing else changed (an upgrade pays for no call again), and a later change of
    the file reruns it. None for a record keyed since, or whose parts do not make its key."""
    from agentmake.runners.modelconfig import GEMINI_ENDPOINTS

    parts = rec.parts
    runner, runner_now = parts.get("runner"), now.get("runner")
    unread = {1: None, 2: GEMINI_ENDPOINTS}  # "_cfgmodel" -> the variables that agentmake did not read (all)
    if (
        parts.get("_cfgmodel") not in unread
        or not isinstance(runner, dict)
        or not isinstance(runner_now, dict)
    ):
        return None
    names = unread[parts["_cfgmodel"]]
    endpoint, endpoint_now = runner.get("endpoint") or {}, runner_now.get("endpoint")
    if not isinstance(endpoint, dict) or not isinstance(endpoint_now, dict) or key_of(parts) != rec.key:
        return None
    renewed = {
        n: endpoint_now[n]
        for n in now["_applied"]
        if n in endpoint_now and endpoint.get(n) != endpoint_now[n] and (names is None or n in names)
    }
    if not renewed:
        return None
    parts = dict(parts, runner={**runner, "endpoint": {**endpoint, **renewed}}, _applied=now["_applied"])
    return dataclasses.replace(rec, key=key_of(parts), parts=parts)


def _config_model_upgraded(rec: TaskRecord, now: dict[str, Any]) -> TaskRecord | None:
    """An LLM call's record made before its key held the model its CLI takes from its config file (no
    "_cfgmodel" memo: `runners.modelconfig`), given the one `now` holds from that file ("_model_from"). The
    record keyed no model, so neither the Agentfile nor the environment named one then, and the model the
    file named then is unknown; so the task is up to date if nothing else changed (as `_modes_upgraded`: a
    project built before runs nothing after), and a later change of the file's model reruns it. None for a
    record that keyed the config file (made by this agentmake: a file that names a model now and named none
    then is another model), keyed a model, or whose parts do not make its key."""
    parts = rec.parts
    runner, runner_now = parts.get("runner"), now.get("runner")
    if "_cfgmodel" in parts or not isinstance(runner, dict) or not isinstance(runner_now, dict):
        return None
    if runner.get("model") is not None or runner_now.get("model") is None or key_of(parts) != rec.key:
        return None
    runner = {**runner, "model": runner_now["model"]}
    parts = dict(parts, runner=runner, _cfgmodel=1, _model_from=now["_model_from"])
    return dataclasses.replace(rec, key=key_of(parts), parts=parts)
