"""Why a key changed: compare the key parts of the last build with the current ones, as typed `Reason`s.

`Reason` lives here (re-exported by `agentmake.plan.rebuilder`) so that the diff and the rebuilder share it
without an import cycle. Messages are full sentences, e.g. "input docs/intro.md changed (content a1b2c3d4 →
e5f6a7b8)" or "model changed sonnet → opus".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agentmake.pathwords import quote_path
from agentmake.plan.keys import short, variable_memo
from agentmake.plan.pathless import SUFFIX


@dataclass(frozen=True)
class Reason:
    """Why a task is (not) up to date. `kind` is one of: never-built, output-missing, output-directory,
    input-changed, input-added, input-removed, input-will-change, prompt-changed, command-changed,
    runner-changed, setting-changed, outputs-changed, previous-failed, forced, output-edited,
    outputs-unplaced, cached, in-place, inputs-missing (a partial report, `plan.partial`), previous-partial,
    check-passed / check-failed (the check alone changed, and the outputs in place pass / fail it),
    check-later (the same, for a check command: the task's attempt runs it first, `Decision.recheck`),
    undecided (its prompt does not render: `status` shows the error, `dryrun.plan_build`), output-renamed
    (its result, made at the old path, is restored at the new one: `output_renamed`).
    `message` is the sentence shown by explain, e.g. "input docs/intro.md changed (content a1b2… → c3d4…)".
    `told` is that sentence as a person reads it (`plan.explain.told`), its paths written as the Agentfile
    would (`pathwords.quote_path`: "outputs changed \"out put.txt\" → c.txt, \"out put.txt\""), where it
    names several and one of them needs quotes; `message` stays the data (`status --json`)."""

    kind: str
    message: str
    path: str | None = None
    old: str | None = None
    new: str | None = None
    told: str | None = None


def output_renamed(path: str, was: str) -> Reason:
    """An output renamed in the Agentfile (from `was`), its result restored at `path` from the cache (a key
    that holds no output path: `plan.pathless`, `Decision.moved`): "output uno.md was renamed from one.md"."""
    message = f"output {path} was renamed from {was}"
    return Reason(
        "output-renamed",
        message,
        path=path,
        told=f"output {quote_path(path)} was renamed from {quote_path(was)}",
    )


def describe_changes(old: dict[str, Any], new: dict[str, Any], runner_name: str | None) -> list[Reason]:
    """Reasons for every difference between two key-parts dicts (empty when only memos differ)."""
    if old.get("v") != new.get("v"):
        return [Reason("setting-changed", f"key format changed (v{old.get('v')} → v{new.get('v')})")]
    reasons: list[Reason] = []
    if _merged(old) != _merged(new) and old.get("kind") == new.get("kind") == "report":
        # a report given a merge prompt, or laid out by agentmake again: every other part of its key (title,
        # renderer, patterns, runner, summary) differs as a consequence, and telling each would say what the
        # user did not change ("agentmake renders reports differently now", "title changed … → 'r'")
        reasons = inputs_changed(old.get("inputs") or {}, new.get("inputs") or {})
        message = f"written by {_made_by(new)} now, not by {_made_by(old)}"
        return [Reason("setting-changed", message), *reasons]
    if old.get("kind") != new.get("kind"):
        reasons.append(Reason("command-changed", f"task kind changed {old.get('kind')} → {new.get('kind')}"))
    reasons += inputs_changed(old.get("inputs") or {}, new.get("inputs") or {})
    reasons += modes_changed(old, new)
    # (a key that holds its output's suffix in place of the paths, `plan.pathless`, beside one that holds
    # them: a check, a prompt or a runner that made the difference says what changed, not the paths)
    outputs_changed = old.get("outputs") != new.get("outputs") and (SUFFIX in old) == (SUFFIX in new)
    paths_changed = bool(reasons) or outputs_changed
    reasons += _prompt(old, new, paths_changed=paths_changed)
    # (a shell task's record names no runner: it ran on `shell`, as a task of another kind now tells)
    old_runner = old.get("_runner") or ("shell" if old.get("kind") == "shell" else None)
    sources = old.get("_model_from"), new.get("_model_from")
    reasons += _runner(old.get("runner"), new.get("runner"), runner_name or "", old_runner, sources)
    if outputs_changed:
        reasons.append(_paths_changed("outputs-changed", "outputs", old.get("outputs"), new.get("outputs")))
    elif SUFFIX in old and SUFFIX in new and old[SUFFIX] != new[SUFFIX]:  # (`a.md` renamed `a.txt`)
        was, now = (str(v) if v else "(none)" for v in (old[SUFFIX], new[SUFFIX]))
        reasons.append(Reason("outputs-changed", f"output suffix changed {was} → {now}"))
    if old.get("check") != new.get("check"):
        reasons.append(Reason("setting-changed", check_changed(old, new)))
    if old.get("template") != new.get("template") or old.get("template_path") != new.get("template_path"):
        path = new.get("template_path")
        was, now = short(old.get("template")), short(new.get("template"))
        message = f"report template {path or '(none)'} changed (content {was} → {now})"
        reasons.append(Reason("setting-changed", message, path=path))
    if old.get("renderer") != new.get("renderer"):
        before, after = old.get("renderer") or 1, new.get("renderer") or 1
        message = f"agentmake renders reports differently now (version {before} → {after})"
        reasons.append(Reason("setting-changed", message))
    if "patterns" in old and old.get("patterns") != new.get("patterns"):  # (older records have none)
        patterns = old["patterns"], new.get("patterns")
        reasons.append(_paths_changed("setting-changed", "report inputs", *patterns))
    if old.get("order") != new.get("order") and set(old.get("order") or ()) == set(new.get("order") or ()):
        reasons.append(Reason("setting-changed", "report sections reordered (the order of its inputs)"))
    reasons += _variables(old.get("variables"), new.get("variables"))
    reasons += _summarised(old, new)
    for name in ("title", "summary"):
        if old.get(name) != new.get(name):
            reasons.append(
                Reason("setting-changed", f"report {name} changed {old.get(name)!r} → {new.get(name)!r}")
            )
    old_s, new_s = old.get("settings") or {}, new.get("settings") or {}
    for name in sorted(set(old_s) | set(new_s)):
        if old_s.get(name) != new_s.get(name):
            reasons.append(
                Reason("setting-changed", f"{name} changed {old_s.get(name)!r} → {new_s.get(name)!r}")
            )
    return reasons


def _merged(parts: dict[str, Any]) -> bool:
    """Whether a report's key `parts` are those of a merge report (its agent writes the document)."""
    return parts.get("prompt") is not None


def _made_by(parts: dict[str, Any]) -> str:
    """What writes the document of a report with key `parts`: its merge prompt, its template, or agentmake."""
    if _merged(parts):
        source = _source(parts)
        return f"its merge prompt {'(inline)' if source in (None, 'inline') else source}"
    if parts.get("template_path"):
        return f"its template {parts['template_path']}"
    return "agentmake's layout"


def _variables(old: Any, new: Any) -> list[Reason]:
    """The variables a template report sees (all of them) that changed, by name (a secret's by digest)."""
    if old == new or not isinstance(old, dict) or not isinstance(new, dict):
        return []
    old, new = _unsecret(old), _unsecret(new)
    return [
        Reason(
            "setting-changed",
            f"variable {name} changed {_variable(old.get(name))} → {_variable(new.get(name))}",
        )
        for name in sorted(set(old) | set(new))
        if old.get(name) != new.get(name)
    ]


def _variable(value: Any) -> str:
    """A variable's value as a report's key holds it: quoted (a secret's digest, by `_unsecret`)."""
    return _memo(value) if isinstance(value, list) else repr(value)


def _unsecret(values: dict[str, Any]) -> dict[str, Any]:
    """`values` (variable -> value or memo) with each secret value (`runners.redact.SecretValues`) as its
    memo holds it, ``["xxh3", digest]``: what is shown of it, and compared (a memo an older version kept
    of it as it was then is equal to its digest)."""
    from agentmake.runners.redact import environ_secrets  # (here: only a changed variable is told)

    secret = environ_secrets()
    return {
        name: variable_memo(value, secret=True) if isinstance(value, str) and secret(name, value) else value
        for name, value in values.items()
    }


def _summarised(old: dict[str, Any], new: dict[str, Any]) -> list[Reason]:
    """The tasks a report's run summary covers, or their dependencies, changed (a renamed agent: one gone,
    one new): `old`/`new` are key parts, "summarised" their digest, "_summarised" the task ids; or no paid
    task reads the report any more, which kept them by their shape ("_shape", `keys.shape_digest`; one
    that begins to read it takes the record as it is, `upgrade._shape_upgraded`). An older record,
    which did not keep them, says so."""
    if old.get("summarised") == new.get("summarised") or not new.get("summarised"):
        return []
    before, now = old.get("_summarised"), new.get("_summarised") or []
    if not old.get("summarised") or not isinstance(before, list):
        return [
            Reason(
                "setting-changed", "the tasks its run summary covers were not recorded (an older agentmake)"
            )
        ]
    was, will = set(before), set(now)
    gone, added = [t for t in before if t not in will], [t for t in now if t not in was]
    said = [f"{_words(gone)} gone"] if gone else []
    said += [f"{_words(added)} added"] if added else []
    if not said and old.get("_shape") and not new.get("_shape"):  # (keyed by names again: rendered anew)
        return [Reason("setting-changed", "no agent or merge report reads it now")]
    if not said:
        return [Reason("setting-changed", "the dependencies of the tasks its run summary covers changed")]
    return [Reason("setting-changed", f"the tasks its run summary covers changed: {', '.join(said)}")]


def inputs_changed(old: dict[str, str | None], new: dict[str, str | None]) -> list[Reason]:
    """The inputs added, changed (or missing) and removed between two `inputs` parts of a key."""
    reasons = []
    for path, digest in new.items():
        if path not in old:
            reasons.append(Reason("input-added", f"input {path} was added", path=path, new=digest))
        elif old[path] != digest:
            what = (
                "is missing" if digest is None else f"changed (content {short(old[path])} → {short(digest)})"
            )
            reasons.append(
                Reason("input-changed", f"input {path} {what}", path=path, old=old[path], new=digest)
            )
    for path in old:
        if path not in new:
            reasons.append(Reason("input-removed", f"input {path} was removed", path=path, old=old[path]))
    return reasons


def modes_changed(old: dict[str, Any], new: dict[str, Any]) -> list[Reason]:
    """The inputs of a shell agent (in both key parts) made executable, or no longer executable (a chmod:
    the content is the same)."""
    was, now = set(old.get("executable") or ()), set(new.get("executable") or ())
    if was == now:
        return []
    both = set(old.get("inputs") or {}) & set(new.get("inputs") or {})
    reasons = []
    for path in sorted((was ^ now) & both):
        what = "made executable" if path in now else "no longer executable"
        reasons.append(Reason("input-changed", f"input {path} {what}", path=path))
    return reasons


def _prompt(old: dict[str, Any], new: dict[str, Any], *, paths_changed: bool) -> list[Reason]:
    """How the prompt (or a shell agent's command) changed. `paths_changed`: an input or an output was added,
    changed or removed, which its own reason tells: a template or command that is the same as written, with
    the same variables, renders otherwise only because it names them."""
    label = "merge prompt" if new.get("kind") == "report" else "prompt"
    if old.get("prompt") == new.get("prompt"):
        return []  # (the same text under another file name is the same prompt)
    src_old, src_new = _source(old), _source(new)
    if src_old != src_new:
        was, now = (p if p in (None, "inline") else quote_path(p) for p in (src_old, src_new))
        message = f"{label} changed {src_old or '(none)'} → {src_new or '(none)'}"
        told = f"{label} changed {was or '(none)'} → {now or '(none)'}"
        path = src_new if src_new != "inline" else None
        return [Reason("prompt-changed", message, path=path, told=told if told != message else None)]
    template_old = (old.get("_render") or {}).get("template")
    template_new = (new.get("_render") or {}).get("template")
    if new.get("kind") == "shell":
        if paths_changed and template_old and template_old == template_new:
            return []  # the command as written is the same: it names the paths, which their reasons tell
        return [Reason("command-changed", "command changed", old=old.get("prompt"), new=new.get("prompt"))]
    name = f"{label} {src_new}" if src_new and src_new != "inline" else f"inline {label}"
    path = src_new if src_new and src_new != "inline" else None
    if template_old and template_new and template_old != template_new:
        return [Reason("prompt-changed", f"{name} changed", path=path, old=template_old, new=template_new)]
    used_old = (old.get("_render") or {}).get("variables")
    used_new = (new.get("_render") or {}).get("variables")
    if isinstance(used_old, dict) and isinstance(used_new, dict) and used_old != used_new:
        used_old, used_new = _unsecret(used_old), _unsecret(used_new)
        changed = [
            f"{var}: {_memo(was)} → {_memo(now)}"
            for var in sorted(set(used_old) | set(used_new))
            if (was := used_old.get(var)) != (now := used_new.get(var))
        ]  # (one reason: the prompt is said to have changed once, with every variable that did)
        word = "variable" if len(changed) == 1 else "variables"
        if changed:  # (none: only the memo of a secret changed form, an older version's kept it as it was)
            return [Reason("prompt-changed", f"{name} changed ({word} {', '.join(changed)})", path=path)]
    if paths_changed:
        return []  # the rendered text names a changed input or output: its reason says it all
    if not (template_old and template_new):  # (recorded by an agentmake that kept no memo of its text)
        return [Reason("prompt-changed", f"{name} changed", path=path)]
    if used_new and not isinstance(used_old, dict):  # (recorded by an agentmake that kept no such memo)
        message = f"{name} changed (a variable it reads may have changed: {', '.join(sorted(used_new))})"
        return [Reason("prompt-changed", message, path=path)]
    # the same text, the same values of the variables it reads and the same paths (a wildcard is the task's
    # own): it names its paths in another order (the key holds them sorted), or an older agentmake rendered
    # it otherwise (the memo, missed for a variable it does not read, had kept it as recorded)
    said = (
        "not its text, nor a variable it reads: the order of the paths it names, or how agentmake renders it"
    )
    return [Reason("prompt-changed", f"{name} changed ({said})", path=path)]


def _memo(value: Any) -> str:
    """A variable's value as `keys.variable_memo` kept it: quoted, or its digest."""
    if isinstance(value, list) and len(value) == 2:
        return f"(content {short(str(value[1]))})"
    return "(unset)" if value is None else repr(value)


def _source(parts: dict[str, Any]) -> str | None:
    """The prompt file (or "inline") that key `parts` were made with: a memo ("_render"), in key format 1
    a part ("prompt_source")."""
    render = parts.get("_render")
    source = render.get("source") if isinstance(render, dict) else None
    return source or parts.get("prompt_source")


def check_changed(old: dict[str, Any], new: dict[str, Any]) -> str:
    """`check changed json → test -s {output}`; a command check that sees the outputs in another order."""
    was, now = old.get("check") or {}, new.get("check") or {}
    if was.get("command") == now.get("command") and was.get("kind") == now.get("kind"):
        return f"check changed: {_check(new)} sees the outputs in another order"
    return f"check changed {_check(old)} → {_check(new)}"


def _runner(
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
    name: str,
    old_name: Any = None,
    sources: tuple[Any, Any] = (None, None),
) -> list[Reason]:
    """What changed of the runner: another runner (`old_name`, the one the record was made with, kept by
    newer records) in a word, else each of its settings that changed; a model its CLI takes from its
    config file (`sources`: the memos "_model_from" of either, [CLI, file]) as such (`_default_model`)."""
    if old == new:
        return []
    if isinstance(old_name, str) and name and old_name != name:
        return [Reason("runner-changed", f"runner changed {old_name} → {name}", old=old_name, new=name)]
    if old is None or new is None:
        return [Reason("runner-changed", f"runner {name} changed")]
    reasons = []
    for field in sorted(set(old) | set(new)):
        default = _default_model(old.get(field), new.get(field), *sources) if field == "model" else None
        if field == "endpoint" and old.get(field) != new.get(field):
            said = _endpoint(old.get(field) or {}, new.get(field) or {})
            reasons.append(Reason("runner-changed", f"runner {name}: endpoint changed ({said})"))
        elif default is not None and old.get(field) != new.get(field):
            was, now = _value(old.get(field)), _value(new.get(field))
            reasons.append(Reason("runner-changed", default, old=was, new=now))
        elif field == "model" and old.get(field) != new.get(field):  # (the agent's, the runner's or the
            # Agentfile's `model`, or the environment's: not the runner's alone, as "runner NAME:" said)
            was, now = _value(old.get(field)), _value(new.get(field))
            reasons.append(Reason("runner-changed", f"model changed {was} → {now}", old=was, new=now))
        elif old.get(field) != new.get(field):
            reasons.append(Reason("runner-changed", f"runner {name}: {field.replace('_', ' ')} changed "
                                  f"{_value(old.get(field))} → {_value(new.get(field))}",
                                  old=_value(old.get(field)), new=_value(new.get(field))))  # fmt: skip
    return reasons


def _default_model(old: Any, new: Any, old_from: Any, new_from: Any) -> str | None:
    """The sentence "the default model claude takes from ~/.claude/settings.json changed: opus → sonnet",
    when the model is the one a CLI takes from its config file now (`new_from`: [CLI, file]), or was
    (`old_from`) and none is named now; None otherwise (the Agentfile or the environment names it: a model
    change as any other)."""
    source = new_from if _pair(new_from) else old_from if _pair(old_from) and new is None else None
    if source is None:
        return None
    return f"the default model {source[0]} takes from {source[1]} changed: {_value(old)} → {_value(new)}"


def _pair(memo: Any) -> bool:
    return isinstance(memo, list) and len(memo) == 2 and all(isinstance(m, str) for m in memo)


def _endpoint(old: dict[str, Any], new: dict[str, Any]) -> str:
    """The endpoint variables that changed (`presets.env_endpoint`: name -> [host, digest]), each with its
    host before and after, or "changed" when that is the same (a user, a password, a path): never a value."""

    def host(memo: Any) -> str:
        if not isinstance(memo, list) or len(memo) != 2:
            return "(unset)"
        return str(memo[0]) or "set"

    said = []
    for var in sorted(set(old) | set(new)):
        was, now = old.get(var), new.get(var)
        if was != now:
            before, after = host(was), host(now)
            said.append(f"{var} changed" if before == after else f"{var}: {before} → {after}")
    return ", ".join(said)


def _value(value: Any) -> str:
    if value is None:
        return "(default)"
    if isinstance(value, list):
        return " ".join(map(str, value)) or "(none)"
    return str(value)


def _words(value: Any) -> str:
    return ", ".join(value) if isinstance(value, list) else str(value)


def _paths_changed(kind: str, what: str, old: Any, new: Any) -> Reason:
    """`outputs changed a.md → a.md, b.md`, and `told` with the paths quoted if one needs it."""
    message = f"{what} changed {_words(old)} → {_words(new)}"
    quoted = [[quote_path(p) for p in v] if isinstance(v, list) else v for v in (old, new)]
    told = f"{what} changed {_words(quoted[0])} → {_words(quoted[1])}"
    return Reason(kind, message, told=told if told != message else None)


def _check(parts: dict[str, Any]) -> str:
    check = parts.get("check")
    if not check:
        return "(none)"
    return str(check.get("command") or check.get("kind"))
