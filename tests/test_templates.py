"""Prompt templates (sandboxed Jinja, strict undefined, located errors) and shell command quoting."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agentmake.errors import AgentfileError, Loc
from agentmake.model import Prompt
from agentmake.syntax.load import load_agentfile
from agentmake.templates import prompt_context, render_command, render_prompt


def test_variables_wildcards_and_paths() -> None:
    p = Prompt(
        "Translate {{ input }} into {{ lang }} as {{ output }} ({{ name }}; {{ inputs|length }} in)\n",
        "prompts/t.md",
    )
    ctx = prompt_context(
        Path("/nowhere"),
        {"lang": "Chinese"},
        {"name": "intro"},
        ["docs/intro.md", "g.txt"],
        ["build/zh/intro.md"],
    )
    assert (
        render_prompt(p, ctx) == "Translate docs/intro.md into Chinese as build/zh/intro.md (intro; 2 in)\n"
    )


def test_files_content_and_read(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("alpha\n")
    (tmp_path / "b.md").write_text("beta\n")
    ctx = prompt_context(tmp_path, {}, {}, ["a.md", "b.md"], ["out.md"])
    p = Prompt("{% for f in files %}[{{ f.path }}] {{ f.content }}{% endfor %}{{ read('b.md') }}")
    assert render_prompt(p, ctx) == "[a.md] alpha\n[b.md] beta\nbeta\n"
    with pytest.raises(AgentfileError, match="not an input"):
        render_prompt(Prompt("{{ read('/etc/passwd') }}", "p.md"), ctx)
    # an item of `files` names its input: read(f) is read(f.path)
    assert render_prompt(Prompt("{% for f in files %}{{ read(f) }}{% endfor %}"), ctx) == "alpha\nbeta\n"
    with pytest.raises(AgentfileError, match="takes an input's path or an item of files, not int"):
        render_prompt(Prompt("{{ read(3) }}", "p.md"), ctx)


def test_files_give_no_way_to_read_a_file_that_is_not_an_input(tmp_path: Path) -> None:
    # a file a prompt could read beside its inputs would be missing from the task's key (and may be outside
    # the project): `files` exposes the path and the content, not the project root
    (tmp_path / "a.md").write_text("alpha\n")
    (tmp_path / "guide.md").write_text("secret guide\n")
    ctx = prompt_context(tmp_path, {}, {}, ["a.md"], ["out.md"])
    for text in (
        "{{ files[0].root.joinpath('guide.md').read_text() }}",
        "{{ files[0]._root.joinpath('guide.md').read_text() }}",
    ):
        with pytest.raises(AgentfileError):
            render_prompt(Prompt(text, "p.md"), ctx)
    assert render_prompt(Prompt("{{ files[0] }}: {{ files[0].content }}", "p.md"), ctx) == "a.md: alpha\n"


def test_strict_undefined_names_the_file_and_line() -> None:
    p = Prompt("line one\nline two {{ input }}\n{{ langg }}\n", "prompts/t.md")
    with pytest.raises(AgentfileError) as info:
        render_prompt(p, {"input": "x", "lang": "zh"})
    err = info.value
    assert err.loc == Loc("prompts/t.md", 3, 4)  # the caret under the name
    assert "langg" in err.message and err.render().startswith("prompts/t.md:3:4: error: undefined name")
    assert err.hint == "did you mean 'lang'?"
    assert "{{ langg }}" in err.render()


def test_syntax_error_names_the_file_and_line() -> None:
    with pytest.raises(AgentfileError) as info:
        render_prompt(Prompt("ok\n\n{% for x in y %}\nno end\n", "p.md"), {"y": []})
    assert info.value.loc is not None and info.value.loc.file == "p.md"
    assert "syntax error" in info.value.message


def test_inline_prompt_error_points_into_the_agentfile(tmp_path: Path) -> None:
    (tmp_path / "Agentfile").write_text(
        'agent a:\n    outputs = x\n    prompt = """\n        Hello\n        {{ missing }}\n        """\n'
    )
    prompt = load_agentfile(tmp_path / "Agentfile", strict=True).agents["a"].prompt
    assert prompt is not None
    with pytest.raises(AgentfileError) as info:
        render_prompt(prompt, {})
    assert info.value.loc is not None and info.value.loc.line == 5
    assert info.value.loc.file.endswith("Agentfile")


@pytest.mark.parametrize(
    ("prompt", "where", "at"),
    [
        (
            '"""\n        Hello.\n        Text: {{ read(input) }} and {{ undefined_thing }} ok\n        """',
            6,
            "undefined_thing",
        ),
        ('"Translate {{ read(input) }} and {{ foo( }} now"', 4, "{{ foo( }}"),
        ('"{{ read(input) }} {{ 1 + }}"', 4, "{{ 1 + }}"),
        ("p.md", 2, "nme"),
    ],
)
def test_a_prompt_error_puts_its_caret_under_the_culprit(
    tmp_path: Path, prompt: str, where: int, at: str
) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs/a.md").write_text("a\n")
    (tmp_path / "p.md").write_text("Hello\n  Use {{ read(input) }} with {{ nme }}\n")
    (tmp_path / "Agentfile").write_text(
        f"agent tr:\n    inputs = docs/{{name}}.md\n    outputs = out/{{name}}.md\n    prompt = {prompt}\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "agentmake", "check"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2, proc.stderr
    head, source, caret = proc.stderr.splitlines()[:3]
    column = source.index(at) - 3  # (the source line is shown indented by four spaces)
    assert head.startswith(f"{'p.md' if prompt == 'p.md' else 'Agentfile'}:{where}:{column}: error:"), head
    assert caret == " " * (column + 3) + "^", (source, caret)


def test_sandbox_blocks_unsafe_attributes() -> None:
    with pytest.raises(AgentfileError):
        render_prompt(Prompt("{{ ''.__class__.__mro__[1].__subclasses__() }}", "p.md"), {})


def test_trailing_newline_kept_and_no_autoescape() -> None:
    assert render_prompt(Prompt("<b>{{ x }}</b>\n"), {"x": "a & b"}) == "<b>a & b</b>\n"


NASTY = [
    "with space.md",
    "semi;colon.md",
    "$(touch pwned).md",
    'it\'s "quoted".md',
    "back`tick`.md",
    "-dash.md",
]


@pytest.mark.parametrize("name", NASTY)
def test_render_command_quotes_nasty_filenames(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text("content\n")
    cmd = render_command("cat {input} > {output} && echo {{literal}}", {"input": name, "output": "out.txt"})
    result = subprocess.run(["sh", "-c", cmd], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "{literal}\n"
    assert (tmp_path / "out.txt").read_text() == "content\n"
    assert not (tmp_path / "pwned").exists()


def test_render_command_lists_and_wildcards(tmp_path: Path) -> None:
    cmd = render_command("printf '%s|' {inputs} {stem}", {"inputs": ["a b", "c;d"], "stem": "x y"})
    out = subprocess.run(["sh", "-c", cmd], capture_output=True, text=True, check=True).stdout
    assert out == "a b|c;d|x y|"
    assert render_command("echo {inputs}", {"inputs": []}) == "echo "
    assert render_command("awk '{{print $1}}' {input}", {"input": "-n"}) == "awk '{print $1}' ./-n"


def test_render_command_unknown_placeholder() -> None:
    with pytest.raises(AgentfileError) as info:
        render_command("cat {inptu}", {"input": "a"}, Loc("Agentfile", 3, 11))
    assert "unknown placeholder '{inptu}'" in info.value.message
    assert info.value.hint == "did you mean 'input'?" and info.value.loc == Loc("Agentfile", 3, 11)
    with pytest.raises(AgentfileError, match="unmatched"):
        render_command("awk '{{print $1}}' {input", {"input": "a"})


def test_files_as_a_whole_show_their_paths_not_the_project_root(tmp_path: Path) -> None:
    # `{{ files }}` prints the list: its items must not show as Python reprs naming the absolute project
    # root (sent to the agent, and different in every checkout)
    (tmp_path / "a.md").write_text("alpha\n")
    ctx = prompt_context(tmp_path, {}, {}, ["a.md"], ["out.md"])
    text = render_prompt(Prompt("{{ files }}", "p.md"), ctx)
    assert str(tmp_path) not in text and "InputFile" not in text
    assert text == "a.md"  # (one path a line: `template_context.PathList`)


@pytest.mark.parametrize(
    ("template", "said"),
    [
        ('{{ "x" * 100000001 }}', "`*` would build 100,000,001 characters or items (at most 100,000,000)"),
        ("{% set n = 50000001 %}{{ n * [1, 2] }}", "`*` would build 100,000,002 characters or items"),
        ("{{ 2 ** 200000 }}", "`**` would compute a number of over 100,000 bits"),
    ],
)
def test_a_template_cannot_exhaust_memory_with_star_or_power(template: str, said: str) -> None:
    # (`{{ "x" * 10**10 }}` took all the memory there was; the sandbox bounded only `range`)
    with pytest.raises(AgentfileError) as info:
        render_prompt(Prompt(f"line one\n{template}\n", "p.md"), {})
    assert said in info.value.message and info.value.loc is not None and info.value.loc.line == 2, info.value
    ctx: dict[str, object] = {"n": 3}
    assert render_prompt(Prompt('{{ "ab" * n }} {{ 2 ** 10 }} {{ [0] * 2 }} {{ 2.5 * 2 }}', "p.md"), ctx) == (
        "ababab 1024 [0, 0] 5.0"
    )
