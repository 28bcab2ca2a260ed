"""Each Agentfile construct parses into the right model (grammar/README.md is the contract)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.cli import main as cli_main
from agentmake.errors import AgentfileError
from agentmake.model import Agentfile, Check
from agentmake.syntax.load import load_agentfile


def write(root: Path, text: str, name: str = "Agentfile", files: dict[str, str] | None = None) -> Path:
    for rel, content in (files or {}).items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(content)
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def load(
    tmp_path: Path, text: str, overrides: dict[str, str] | None = None, files: dict[str, str] | None = None
) -> Agentfile:
    return load_agentfile(write(tmp_path, text, files=files), overrides, strict=True)


def test_settings_and_variables(tmp_path: Path) -> None:
    af = load(
        tmp_path,
        """\
# comment
jobs = 3
retries = 5
timeout = 5m
runner = codex
model = gpt-5
budget = 2.50
cache_size = 64
lang = "Chinese"   # trailing comment
greeting = hello ${lang}
agent a:
    outputs = out.txt
    run = touch {output}
default = a
""",
    )
    s = af.settings
    assert (s.jobs, s.retries, s.timeout, s.runner, s.model, s.budget, s.cache_size_mb) == (
        3,
        5,
        300.0,
        "codex",
        "gpt-5",
        2.5,
        64,
    )
    assert s.default == ("a",)
    assert af.variables == {"lang": "Chinese", "greeting": "hello Chinese"}
    assert af.path == tmp_path / "Agentfile" and af.root == tmp_path


@pytest.mark.parametrize(
    ("text", "seconds"), [("250ms", 0.25), ("30s", 30), ("5m", 300), ("2h", 7200), ("7", 7), ("1.5m", 90)]
)
def test_durations(tmp_path: Path, text: str, seconds: float) -> None:
    assert load(tmp_path, f"timeout = {text}\n").settings.timeout == seconds


def test_agent_with_prompt_file_fanout_and_all_keys(tmp_path: Path) -> None:
    af = load(
        tmp_path,
        """\
agent translate:
    description = Translate the docs into "Chinese"
    inputs = docs/{name}.md glossary.txt
    outputs = build/zh/{name}.md
    prompt = prompts/translate.md
    runner = gemini
    model = flash
    check = json
    priority = -2
    retries = 1
    timeout = 90s
    estimate = 2m
""",
        files={"prompts/translate.md": "Translate {{ input }}\n"},
    )
    a = af.agents["translate"]
    assert a.inputs == ("docs/{name}.md", "glossary.txt")
    assert a.outputs == ("build/zh/{name}.md",)
    assert a.prompt is not None and a.prompt.path == "prompts/translate.md"
    assert a.prompt.text == "Translate {{ input }}\n"
    assert a.description == "Translate the docs into Chinese"
    assert (a.runner, a.model, a.check, a.priority, a.retries, a.timeout, a.estimate) == (
        "gemini",
        "flash",
        Check("json"),
        -2,
        1,
        90.0,
        120.0,
    )
    assert a.loc is not None and a.loc.line == 1
    assert a.key_locs["prompt"].line == 5 and a.key_locs["prompt"].col == 14
    assert tmp_path / "prompts/translate.md" in af.files


def test_inline_prompts_are_dedented_and_located(tmp_path: Path) -> None:
    af = load(
        tmp_path,
        """\
lang = Chinese
agent a:
    outputs = a.md
    prompt = \"\"\"
        Translate into ${lang}.
          Keep "quotes" and {{ input }}.
        \"\"\"
agent b:
    outputs = b.md
    prompt = "one line\\twith \\"escapes\\"\\n"
""",
    )
    a, b = af.agents["a"].prompt, af.agents["b"].prompt
    assert a is not None and b is not None
    assert a.text == 'Translate into Chinese.\n  Keep "quotes" and {{ input }}.\n'
    assert a.path is None and a.line_offset == 5
    # (a quoted string is on one Agentfile line whatever lines its escapes make: no offset, see below)
    assert b.text == 'one line\twith "escapes"\n' and b.line_offset == 0


@pytest.mark.parametrize(
    ("value", "line", "template_line"),
    [
        ('"Line one\\nLine two {{ nosuch }}\\n"', 3, 2),  # escapes make lines of one Agentfile line
        ('"""\n        Line one\n        Line two {{ nosuch }}\n        """', 5, 2),
        ('"""Line one\n  Line two {{ nosuch }}"""', 4, 2),
    ],
)
def test_an_inline_prompt_error_points_at_its_agentfile_line_and_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str, line: int, template_line: int
) -> None:
    (tmp_path / "Agentfile").write_text(f"agent a:\n    outputs = a.md\n    prompt = {value}\n")
    assert cli_main(["-C", str(tmp_path), "check"]) == 2
    err = capsys.readouterr().err
    shown = (tmp_path / "Agentfile").read_text().splitlines()[line - 1]
    col = shown.index("nosuch") + 1
    at = f", line {template_line}" if value.startswith('"L') else ""  # (escapes: lines the Agentfile lacks)
    where = f"{tmp_path / 'Agentfile'}:{line}:{col}: error: inline prompt{at}: "
    assert err.startswith(where), err
    lines = err.splitlines()
    assert lines[1].strip() == shown.strip() and lines[2].index("^") == lines[1].index("nosuch"), err


def test_runner_resolution(tmp_path: Path) -> None:
    af = load(
        tmp_path,
        """\
runner = llm
agent shellish:
    outputs = x
    run = echo hi > {output}
agent default_runner:
    outputs = y
    prompt = "p"
agent own:
    outputs = z
    prompt = "p"
    runner = claude
""",
    )
    assert af.agents["shellish"].runner == "shell" and af.agents["shellish"].is_shell
    assert af.agents["default_runner"].runner == "llm"
    assert af.agents["own"].runner == "claude"
    assert load(tmp_path, 'agent a:\n    outputs = x\n    prompt = "p"\n').agents["a"].runner == "claude"


def test_runner_blocks_merge_with_presets(tmp_path: Path) -> None:
    af = load(
        tmp_path,
        """\
runner claude:
    model = opus
    parallel = 2
runner fast:
    base = claude
    model = haiku
    timeout = 30s
    env = ANTHROPIC_API_KEY HOME
runner mine:
    command = "my-agent --quiet 'two words'"
    model_flag = --model
    format = llm-json
    retries = 0
""",
    )
    claude, fast, mine = af.runners["claude"], af.runners["fast"], af.runners["mine"]
    for preset in ("claude", "codex", "gemini", "llm", "ollama", "shell"):
        assert preset in af.runners
    assert claude.model == "opus" and claude.parallel == 2 and claude.command[0] == "claude"
    assert fast.base == "claude" and fast.command == af.runners["claude"].command
    assert (fast.model, fast.timeout, fast.env, fast.format) == (
        "haiku",
        30.0,
        ("ANTHROPIC_API_KEY", "HOME"),
        claude.format,
    )
    assert mine.command == ("my-agent", "--quiet", "two words")
    assert (mine.model_flag, mine.format, mine.retries, mine.base) == ("--model", "llm-json", 0, None)
    assert af.runners["shell"].command[:2] == ("sh", "-c")


def test_lists_span_lines_and_check_command(tmp_path: Path) -> None:
    af = load(
        tmp_path,
        """\
agent a:
    inputs = (
        src/a.py      # first
        "src/with space.py"

        src/**/*.ts
    )
    outputs = (out.json)
    run = "python tool.py {inputs} > {output}"
    check = "python -m json.tool {output}"
""",
    )
    a = af.agents["a"]
    assert a.inputs == ("src/a.py", "src/with space.py", "src/**/*.ts")
    assert a.outputs == ("out.json",)
    assert a.run == "python tool.py {inputs} > {output}"
    assert a.check == Check("command", "python -m json.tool {output}")


def test_variables_in_bare_words_split_like_make(tmp_path: Path) -> None:
    af = load(
        tmp_path,
        """\
srcs = a.txt b.txt
agent a:
    inputs = ${srcs} c.txt
    outputs = "${srcs}.out"
    run = cat {inputs} > {output}
    description = costs $${HOME}
""",
    )
    a = af.agents["a"]
    assert a.inputs == ("a.txt", "b.txt", "c.txt")
    assert a.outputs == ("a.txt b.txt.out",)
    assert a.description == "costs ${HOME}"


def test_reports(tmp_path: Path) -> None:
    af = load(
        tmp_path,
        """\
report review:
    title = Code review
    inputs = build/*.md
    output = build/review.md
    merge = prompts/merge.md
    runner = codex
    model = o4
    summary = false
report plain:
    inputs = build/*.md
    output = build/plain.md
    template = templates/report.md.j2
report inline:
    inputs = build/*.md
    output = build/inline.md
    merge = "Merge them"
""",
        files={"prompts/merge.md": "merge {{ files }}", "templates/report.md.j2": "{{ title }}"},
    )
    r = af.reports["review"]
    assert (r.title, r.inputs, r.output, r.runner, r.model, r.summary) == (
        "Code review",
        ("build/*.md",),
        "build/review.md",
        "codex",
        "o4",
        False,
    )
    assert r.merge is not None and r.merge.path == "prompts/merge.md" and r.merge.text == "merge {{ files }}"
    assert af.reports["plain"].template == "templates/report.md.j2" and af.reports["plain"].summary is True
    inline = af.reports["inline"].merge
    assert inline is not None and inline.path is None and inline.text == "Merge them"
    assert tmp_path / "templates/report.md.j2" in af.files


def test_overrides_win_over_assignments_for_variables_and_settings(tmp_path: Path) -> None:
    text = """\
lang = Chinese
label = in ${lang}
jobs = 2
default = a
agent a:
    outputs = ${lang}.md
    run = touch {output}
agent b:
    outputs = b.md
    run = touch {output}
"""
    af = load(tmp_path, text, {"lang": "French", "jobs": "9", "default": "a b", "extra": "1"})
    assert af.variables["lang"] == "French" and af.variables["label"] == "in French"
    assert af.variables["extra"] == "1"
    assert af.settings.jobs == 9 and af.settings.default == ("a", "b")
    assert af.agents["a"].outputs == ("French.md",)
    with pytest.raises(AgentfileError, match="command line jobs=many"):
        load(tmp_path, text, {"jobs": "many"})


def test_include_relative_to_including_file(tmp_path: Path) -> None:
    write(tmp_path, 'include "inner.Agentfile"\nshared = yes\n', "conf/common.Agentfile")
    write(tmp_path, "agent inc:\n    outputs = inc.txt\n    run = touch {output}\n", "conf/inner.Agentfile")
    af = load(
        tmp_path,
        'include "conf/common.Agentfile"\nagent a:\n    outputs = ${shared}.txt\n    run = touch {output}\n',
    )
    assert set(af.agents) == {"inc", "a"}
    assert af.agents["a"].outputs == ("yes.txt",)
    assert af.files[:3] == (
        tmp_path / "Agentfile",
        tmp_path / "conf/common.Agentfile",
        tmp_path / "conf/inner.Agentfile",
    )
    assert af.agents["inc"].loc is not None and af.agents["inc"].loc.file.endswith("inner.Agentfile")


def test_empty_and_comment_only_files(tmp_path: Path) -> None:
    assert load(tmp_path, "").agents == {}
    assert load(tmp_path, "\n\n# only a comment\n   # indented comment").agents == {}


def test_crlf_and_tabs(tmp_path: Path) -> None:
    af = load(tmp_path, "agent a:\r\n\toutputs = x\r\n\trun = touch {output}\r\n")
    assert af.agents["a"].outputs == ("x",)


def test_include_path_uses_variables_and_overrides(tmp_path: Path) -> None:
    write(
        tmp_path,
        "agent off:\n    outputs = off.txt\n    run = touch {output}\n",
        "profiles/offline.Agentfile",
    )
    write(tmp_path, 'agent on:\n    outputs = on.txt\n    prompt = "p"\n', "profiles/llm.Agentfile")
    text = 'profile = offline\ninclude "profiles/${profile}.Agentfile"\n'
    assert set(load(tmp_path, text).agents) == {"off"}
    assert set(load(tmp_path, text, {"profile": "llm"}).agents) == {"on"}


def test_large_file_parse_cache_gives_the_same_model(tmp_path: Path) -> None:
    blocks = "".join(
        f"agent a{i}:\n    outputs = out/{i}.txt\n    run = touch {{output}}\n" for i in range(600)
    )
    path = write(tmp_path, blocks)
    first, second = load_agentfile(path), load_agentfile(path)  # the second load may come from the cache
    assert len(first.agents) == 600 and first.agents == second.agents
    assert second.agents["a599"].key_locs["outputs"].line == 1799


def test_backoff_setting_is_a_duration_and_defaults_to_two_seconds(tmp_path: Path) -> None:
    body = "agent a:\n    outputs = out.txt\n    run = touch {output}\n"
    assert load(tmp_path, body).settings.backoff == 2.0
    assert load(tmp_path, "backoff = 250ms\n" + body).settings.backoff == 0.25
    with pytest.raises(AgentfileError) as err:
        load(tmp_path, "backoff = soon\n" + body)
    assert err.value.loc is not None and err.value.loc.line == 1
