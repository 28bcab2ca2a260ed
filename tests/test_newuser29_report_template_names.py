"""A report `template` reading a name a report template does not see (`{% for f in files %}`, as a prompt
does; `{{ lang }}` for `{{ variables.lang }}`) passed `agentmake check`, and a build paid for every agent
before the report failed with `report template: 'files' is undefined`, not saying what it sees. Now `check`,
and a build before it starts anything, refuse it where it is, with the names it may have meant."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.cli import main

AGENTFILE = """\
lang = "French"

agent copy:
    inputs = docs/a.md
    outputs = out/a.md
    run = "cp {input} {output}"

report r:
    inputs = out/a.md
    output = R.md
    template = r.md
"""


def project(root: Path, template: str) -> Path:
    (root / "docs").mkdir()
    (root / "docs" / "a.md").write_text("alpha\n")
    (root / "r.md").write_text(template)
    (root / "Agentfile").write_text(AGENTFILE)
    return root


@pytest.mark.parametrize(
    ("template", "where", "name", "hint"),
    [
        ("# {{ title }}\n{% for f in files %}{{ f.content }}{% endfor %}\n", "r.md:2:13", "files", "inputs"),
        ("# {{ title }} in {{ lang }}\n", "r.md:1:21", "lang", "{{ variables.lang }}"),
        ("# {{ titel }}\n", "r.md:1:6", "titel", "did you mean 'title'?"),
    ],
)
def test_check_refuses_a_name_a_report_template_does_not_see(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], template: str, where: str, name: str, hint: str
) -> None:
    root = project(tmp_path, template)
    assert main(["-C", str(root), "check"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{where}: error: report template: '{name}' is undefined\n"), err
    assert hint in err, err
    assert main(["-C", str(root)]) == 2  # (a build: before any task is paid for)
    assert not (root / "out" / "a.md").exists()


def test_check_accepts_what_a_report_template_sees(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = (
        "# {{ title }} ({{ variables.lang }})\n{% set n = inputs|length %}{{ n }}\n"
        "{% for f in inputs %}{{ loop.index }} {{ f.path }} {{ f.content }}{% endfor %}\n"
        "{% if partial %}{% for m in missing + incomplete %}{{ m.reason }}{% endfor %}{% endif %}\n"
        "{% if extra is defined %}{{ extra }}{% endif %}{{ other|default('') }}{{ range(2)|list }}\n"
        "{{ summary }}\n"
    )
    root = project(tmp_path, template)
    assert main(["-C", str(root), "check"]) == 0, capsys.readouterr().err
    assert main(["-C", str(root)]) == 0, capsys.readouterr().err
    assert "# r (French)" in (root / "R.md").read_text()


@pytest.mark.parametrize(
    "template",
    [
        "{% set author = author|default('anon') %}# {{ title }} by {{ author }}\n",
        "{% if author is not defined %}{% set author = 'anon' %}{% endif %}by {{ author }}\n",
        "{% if x is defined %}{{ x }}{% endif %}{% for x in inputs %}{{ x.path }}{% endfor %}\n",
        "{{ item|d('') }}{% macro show(item) %}{{ item }}{% endmacro %}{{ show(title) }}\n",
    ],
)
def test_check_accepts_a_name_the_report_template_sets_itself(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], template: str
) -> None:
    """A name the template sets (after reading it guarded: `{% set x = x|default(...) %}`) renders: a
    build of it is not refused."""
    root = project(tmp_path, template)
    assert main(["-C", str(root), "check"]) == 0, capsys.readouterr().err
    assert main(["-C", str(root)]) == 0, capsys.readouterr().err
    assert (root / "R.md").exists()


@pytest.mark.parametrize(
    "template",
    [
        "# {{ title }}\n{% if partial %}{{ mising_note }}{% endif %}\n",
        "{% for m in missing %}{{ mising_reason }}{% endfor %}# {{ title }}\n",
        "{% macro unused() %}{{ nowhere }}{% endmacro %}# {{ title }}\n",
        "# {{ title }}{{ ' (' ~ lang ~ ')' if partial else '' }}\n",
    ],
)
def test_check_leaves_a_name_only_some_renders_read_to_rendering(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], template: str
) -> None:
    # (review29d: each renders on every full build, as it did before the check; refusing it stopped a
    # working project from building at all. A read() there is left to rendering so too: `_reads`)
    root = project(tmp_path, template)
    assert main(["-C", str(root), "check"]) == 0, capsys.readouterr().err
    assert main(["-C", str(root)]) == 0, capsys.readouterr().err
    assert (root / "R.md").read_text().startswith("# r")
