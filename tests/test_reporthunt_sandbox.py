"""The template sandbox bounds every operation that builds a string or a list from a number: padding widths
(`center`, `ljust`, `rjust`, `zfill`, `expandtabs`, the `center` and `indent` filters), the widths and
precisions of `%`, the `format` filter and `str.format`, and the fill of `batch` and `slice`, as it bounds
`*`, `**` and `range`. `{{ 'x'|center(10**10) }}` tried to allocate 10 GB (a MemoryError traceback, or a
machine brought to a halt); each is now a located template error. Each case builds one item or character
over the bound, so it shows the bound without exhausting anything."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.errors import AgentfileError
from agentmake.model import Prompt
from agentmake.templates import render_prompt


@pytest.mark.parametrize(
    ("template", "said"),
    [
        ("{{ 'x'|center(100000001) }}", "`center` would build 100,000,001 characters"),
        ("{{ 'x'.center(100000001) }}", "`center` would build 100,000,001 characters"),
        ("{{ 'x'.ljust(100000001, '-') }}", "`ljust` would build 100,000,001 characters"),
        ("{{ 'x'.rjust(100000001) }}", "`rjust` would build 100,000,001 characters"),
        ("{{ '7'.zfill(100000001) }}", "`zfill` would build 100,000,001 characters"),
        ("{{ 'a\\tb'.expandtabs(99999999) }}", "`expandtabs` would build 100,000,002 characters"),
        ("{{ 'x'|indent(100000000, true) }}", "`indent` would build 100,000,001 characters"),
        ("{{ '{:>100000001}'.format(1) }}", "a `format` field would build 100,000,001 characters"),
        ("{{ '{:>{}}'.format(1, 100000001) }}", "a `format` field would build 100,000,001 characters"),
        (
            "{{ '{a:.{w}f}'.format_map({'a': 1.5, 'w': 100000001}) }}",
            "a `format` field would build 100,000,001",
        ),
        ("{{ ('{:>100000001}'|safe).format(1) }}", "a `format` field would build 100,000,001 characters"),
        ("{{ '%0100000001d' % 7 }}", "`%` would build 100,000,001 characters"),
        ("{{ '%(n).100000001f' % {'n': 1.5} }}", "`%` would build 100,000,001 characters"),
        ("{{ '%*s' % (100000001, 'x') }}", "`%` would build 100,000,001 characters"),
        ("{{ '%-100000001s'|format('x') }}", "`format` would build 100,000,001 characters"),
        ("{{ '%*s'|format(100000001, 'x') }}", "`format` would build 100,000,001 characters"),
        ("{{ [1]|batch(100000001, 0)|first }}", "`batch` would build 100,000,001 items"),
        ("{{ [1]|slice(100000001)|first }}", "`slice` would build 100,000,001 items"),
    ],
)
def test_a_prompt_cannot_build_a_huge_string_from_a_width(template: str, said: str) -> None:
    with pytest.raises(AgentfileError) as info:
        render_prompt(Prompt(f"line one\n{template}\n", "p.md"), {})
    assert said in info.value.message and "(at most 100,000,000)" in info.value.message, info.value
    assert info.value.loc is not None and info.value.loc.line == 2, info.value


def test_widths_within_the_bound_render_as_python_renders_them() -> None:
    text = (
        "{{ 'ab'|center(6) }}|{{ 'x'.ljust(3, '.') }}|{{ '7'.zfill(3) }}|{{ 'a\tb'.expandtabs(4) }}|"
        "{{ 'a\nb'|indent(2) }}|{{ '{:>6.2f}'.format(3.14159) }}|"
        "{{ '{a:>{w}}'.format_map({'a': 1, 'w': 3}) }}|{{ '%5d|%-3s|%%|%*d' % (1, 'a', 4, 2) }}|"
        "{{ '%(k)03d'|format(k=7) }}|{{ [1, 2, 3]|batch(2, 0)|list }}|{{ [1, 2, 3]|slice(2)|list }}|"
        "{{ 7 % 3 }}"
    )
    assert render_prompt(Prompt(text, "p.md"), {}) == (
        "  ab  |x..|007|a   b|a\n  b|  3.14|  1|    1|a  |%|   2|007|[[1, 2], [3, 0]]|[[1, 2], [3]]|1"
    )


def test_a_report_template_with_a_huge_width_fails_its_report_located(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("docs/a.md", "hello\n")
    e2e.write(
        "Agentfile",
        'agent t:\n    inputs = docs/a.md\n    outputs = build/a.md\n    run = "cp {input} {output}"\n\n'
        "report r:\n    inputs = build/a.md\n    output = R.md\n    template = t.md.j2\n",
    )
    e2e.write("t.md.j2", "# {{ title }}\n{{ inputs[0].content|center(10**10) }}\n")
    run = e2e.am()
    assert run.code == 1, run
    assert "t.md.j2:2:1: report template: `center` would build 10,000,000,000 characters" in run.text, run
    assert "Traceback" not in run.text and not e2e.exists("R.md"), run
