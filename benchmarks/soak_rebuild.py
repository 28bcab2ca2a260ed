"""Rebuild-decision soak: tests/test_rebuild_differential.py over many seeds and longer edit sequences
(random edits played against the real CLI and the reference model tests/rebuild_oracle.py).

    python benchmarks/soak_rebuild.py [--seeds 1-50] [--steps 40] [--work DIR]

Prints one line per seed (and the steps that led to a disagreement) and exits 1 if any seed disagreed.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path.insert(0, str(TESTS))

from rebuild_oracle import run_seed  # noqa: E402


def fake_env(base: Path) -> dict[str, str]:
    """An environment with the fake `claude` first on PATH (as tests/conftest.py's fixture makes it)."""
    bin_dir, state, home = base / "bin", base / "state", base / "home"
    for d in (bin_dir, state, home):
        d.mkdir(parents=True, exist_ok=True)
    script = TESTS / "fake_agents" / "fake_agent.py"
    wrapper = bin_dir / "claude"
    wrapper.write_text(
        f"#!/bin/sh\nFAKE_AGENT_STATE={shlex.quote(str(state))} FAKE_AGENT_AS=claude "
        f'exec {shlex.quote(sys.executable)} -I {shlex.quote(str(script))} "$@"\n'
    )
    wrapper.chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", HOME=str(home))
    env.update(NO_COLOR="1", CI="1", PYTHONDONTWRITEBYTECODE="1", AGENTMAKE_BACKOFF="0")
    env.update(ANTHROPIC_API_KEY="fake-anthropic-key")
    env.pop("CLAUDE_CONFIG_DIR", None)
    return env


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="1-50", help="a range A-B")
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--work", type=Path, default=None)
    args = ap.parse_args()
    first, _, last = args.seeds.partition("-")
    work = args.work or Path(tempfile.mkdtemp(prefix="soak-rebuild-"))
    env = fake_env(work / "fake")
    bad = 0
    for seed in range(int(first), int(last or first) + 1):
        wrong = run_seed(work / f"seed{seed}", env, seed, args.steps)
        print(f"seed {seed}: {'ok' if not wrong else 'DISAGREES'}", flush=True)
        if wrong:
            bad += 1
            print("\n".join(wrong), flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
