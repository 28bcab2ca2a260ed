"""Module-level regular expressions a shell build never uses are compiled on first use (`agentmake.lazyre`):
a `LazyPattern` answers as the compiled pattern does, and a shell-only build compiles none of those of the
modules that only serve LLM agents' output, credentials in logs and hints on a bad Agentfile; nor imports
`textwrap` (its import compiles patterns; only a triple-quoted string needs it) or `traceback` (only a
failing prompt does)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from agentmake.lazyre import LazyPattern
from agentmake.runners import classify, parsetext, redact
from agentmake.syntax import parse_hints

LAZY_MODULES = (
    "runners/classify.py",
    "runners/parse.py",
    "runners/parsetext.py",
    "runners/redact.py",
    "syntax/parse_hints.py",
)


def test_lazy_pattern_answers_as_the_compiled_pattern() -> None:
    text = "a=1, bb=22,\nccc=333"
    for flags in (0, re.I | re.M):
        lazy, real = LazyPattern(r"(\w+)=(\d+)", flags), re.compile(r"(\w+)=(\d+)", flags)
        assert lazy._compiled is None  # (nothing compiled until it is used)
        for method in ("search", "match", "fullmatch"):
            for args in ((text,), (text, 5), (text, 5, 9), ("bb=22",)):
                got, want = getattr(lazy, method)(*args), getattr(real, method)(*args)
                assert (got and got.span(), got and got.groups()) == (
                    want and want.span(),
                    want and want.groups(),
                )
        assert [m.span() for m in lazy.finditer(text, 2, 15)] == [
            m.span() for m in real.finditer(text, 2, 15)
        ]
        assert lazy.findall(text) == real.findall(text) == [("a", "1"), ("bb", "22"), ("ccc", "333")]
        assert lazy.sub(r"\2=\1", text, 2) == real.sub(r"\2=\1", text, 2)
        assert lazy.sub(lambda m: m[1].upper(), text) == real.sub(lambda m: m[1].upper(), text)
        assert lazy.split(text, 1) == real.split(text, 1)
        assert lazy.compiled is lazy.compiled  # (compiled once)
        assert (lazy.pattern, lazy.flags) == (real.pattern, flags)


def test_modules_keep_their_patterns_lazy() -> None:
    """Their patterns still do what they did (a sample of each module), as LazyPatterns."""
    assert isinstance(classify._AUTH, LazyPattern) and classify._AUTH.search("HTTP 401 Unauthorized")
    assert classify._RETRY_HINT.findall("Please retry in 25.308s.") == [("", "25.308", "s", "")]
    assert isinstance(parsetext._AIDER_TOO_LONG, LazyPattern)
    assert parsetext._AIDER_TOO_LONG.search("x\nModel gpt has hit a token limit!\n")
    assert isinstance(redact._MARK, LazyPattern) and redact.holds_redaction("key [redacted OPENAI_API_KEY] x")
    assert redact.looks_secret("OPENAI_API_KEY") and not redact.looks_secret("HOME")
    assert isinstance(parse_hints._NAME, LazyPattern) and parse_hints._NAME.fullmatch("lint_1")


def _shell_project(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    root = tmp_path / "p"
    (root / "out").mkdir(parents=True)
    (root / "seed.txt").write_text("seed\n")
    (root / "Agentfile").write_text(
        "agent first:\n    inputs = seed.txt\n    outputs = out/first.txt\n"
        '    run = "cat {inputs} > {output}"\n'
    )
    env = {k: v for k, v in os.environ.items() if k != "AGENTMAKE_TRACE"}
    env.update(NO_COLOR="1", CI="1", XDG_CACHE_HOME=str(tmp_path / "cache"))
    return root, env


def test_shell_build_compiles_none_of_their_patterns(tmp_path: Path) -> None:
    root, env = _shell_project(tmp_path)
    # (each module-level compile: the file of the module whose body called re.compile)
    probe = (
        "import json, re, sys\n"
        "compiled = []\n"
        "real = re._compile\n"
        "def recording(pattern, flags):\n"
        "    frame = sys._getframe(2)\n"
        "    if frame.f_code.co_name == '<module>':\n"
        "        compiled.append(frame.f_code.co_filename)\n"
        "    return real(pattern, flags)\n"
        "re._compile = recording\n"
        "from agentmake.cli import main\n"
        f"code = main(['-C', {str(root)!r}, 'build'])\n"
        "print(json.dumps([code, compiled]))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    code, compiled = json.loads(out.stdout.splitlines()[-1])
    assert code == 0 and (root / "out" / "first.txt").read_text() == "seed\n"
    assert any("agentmake" in name for name in compiled)  # (the probe sees the compiles it should)
    lazy = [name for name in compiled if name.replace(os.sep, "/").endswith(LAZY_MODULES)]
    assert lazy == []


def test_shell_build_imports_neither_textwrap_nor_traceback(tmp_path: Path) -> None:
    root, env = _shell_project(tmp_path)
    probe = (
        "import json, sys\nfrom agentmake.cli import main\n"
        f"code = main(['-C', {str(root)!r}, 'build', '-B'])\n"
        "print(json.dumps([code, [m for m in ('textwrap', 'traceback') if m in sys.modules]]))\n"
    )
    found = []
    for _ in range(2):  # (the first parses anew, loading lark; the second has the parse cache warm, as
        # every build but the first of an Agentfile's text)
        out = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60
        )
        assert out.returncode == 0, out.stderr
        found.append(json.loads(out.stdout.splitlines()[-1]))
    assert found[1] == [0, []]
    from agentmake.syntax.values import dedent_triple

    assert dedent_triple("\n    a\n      b\n    ") == "a\n  b\n"  # (still dedents, importing it there)
