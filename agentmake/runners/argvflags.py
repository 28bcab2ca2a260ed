"""What a runner's command gives its flags: the values of a flag (``--flag V``, ``--flag=V``), and codex's
``-c``/``--config KEY=VALUE`` overrides. Read by `invocation` (whether the agent may write files) and by
`modelconfig` (the codex profile a command chooses), which `invocation` imports: so here, not in either."""

from __future__ import annotations

__all__ = ["codex_overrides", "flag_values"]


def flag_values(argv: list[str], *flags: str) -> list[str]:
    """The values `argv` gives `flags` (``--flag=V`` or ``--flag V``), in no particular order."""
    found = [a.split("=", 1)[1] for a in argv if a.startswith(tuple(f + "=" for f in flags))]
    return found + [argv[i + 1] for i, a in enumerate(argv[:-1]) if a in flags]


def codex_overrides(argv: list[str], key: str, *, profiles: bool = False) -> list[str]:
    """The values codex's ``-c KEY=VALUE`` / ``--config KEY=VALUE`` overrides in `argv` give `key` (and,
    with `profiles`, a key ending in ``.key``: a profile's), each as codex reads it: a TOML string's quotes
    taken off."""
    found = []
    pairs = flag_values(argv, "-c", "--config") + [
        a[2:] for a in argv if a.startswith("-c") and a[2:3] != "="
    ]
    for pair in pairs:
        name, eq, value = pair.partition("=")
        name = name.strip()
        if eq and (name == key or (profiles and name.endswith("." + key))):
            found.append(value.strip().strip("\"'").strip())
    return found
