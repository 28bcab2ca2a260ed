"""What a template builds step by step is bounded (`agentmake.sandbox_growth`), as each step alone was: a loop
doubling a string with `~` or `+`, a list with `+` or `extend`, a list grown by `append` past ten million
items, a macro calling itself twice, a loop or a `set` block outputting without end, a macro calling itself
without end. Each asked for 2**60 characters, or a RecursionError, before any output: each is now a located
template error naming the step and the bound. The amplifiers run in a subprocess whose address space is
limited to 2 GB, so that a bound lost again fails the test with a MemoryError, not the machine. A step
that makes its result several times its argument (`%`, `format`, `tojson`, `pprint`, `sum`, `+` of bytes)
repeated in a loop is refused as well: what it returns is checked; and one step that takes a string many
times (`translate`, `wordwrap`'s `wrapstring`, the fields of `format` and `%`) before it builds it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.errors import AgentfileError
from agentmake.model import Prompt
from agentmake.templates import render_prompt

DOUBLE = "{% set ns = namespace(s=START) %}{% for i in range(60) %}{% set ns.s = ns.s OP ns.s %}{% endfor %}"
CASES = {
    "~ of a string": DOUBLE.replace("START", "'x'").replace("OP", "~"),
    "+ of a string": DOUBLE.replace("START", "'x'").replace("OP", "+"),
    "+ of a list": DOUBLE.replace("START", "[1]").replace("OP", "+"),
    "+ of bytes": DOUBLE.replace("START", "'x'.encode()").replace("OP", "+"),
    "% of a string": DOUBLE.replace("START", "'x'").replace("ns.s OP ns.s", "'%s%s' % (ns.s, ns.s)"),
    "format": DOUBLE.replace("START", "'x'").replace("ns.s OP ns.s", "'{0}{0}'.format(ns.s)"),
    "the format filter": DOUBLE.replace("START", "'x'").replace("ns.s OP ns.s", "'%s%s'|format(ns.s, ns.s)"),
    "tojson": DOUBLE.replace("START", "'\\\\'").replace("ns.s OP ns.s", "ns.s|tojson"),
    "pprint": DOUBLE.replace("START", "'\\\\'").replace("ns.s OP ns.s", "ns.s|pprint"),
    "sum": DOUBLE.replace("START", "[1]").replace("ns.s OP ns.s", "[ns.s, ns.s]|sum(start=[])"),
    # (one step that takes a string many times: refused before it is built)
    "translate": "{% set s = 'a' * 100000 %}{{ s.translate({97: s}) }}",
    "wordwrap": "{% set s = 'a ' * 50000 %}{{ s|wordwrap(1, wrapstring=s) }}",
    "format fields": "{% set s = 'a' * 90000000 %}{{ '" + "{0}" * 24 + "'.format(s) }}",
    "% fields": "{% set s = 'a' * 90000000 %}{{ '" + "%s" * 24 + "' % ((s,) * 24) }}",
    "extend": "{% set l = [1] %}{% for i in range(60) %}{% set _ = l.extend(l) %}{% endfor %}",
    "append": "{% set l = [0] * 9999999 %}{% for i in range(3) %}{% set _ = l.append(i) %}{% endfor %}",
    "a macro twice": "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}"
    "{% else %}{{ 'x' * 1000000 }}{% endif %}{% endmacro %}{{ f(60) }}",
    "a set block": "{% set x %}{% for i in range(100000) %}{% for j in range(100000) %}{{ 'x' * 1000 }}"
    "{% endfor %}{% endfor %}{% endset %}{{ x }}",
    "the output": "{% for i in range(100000) %}{% for j in range(100000) %}{{ 'x' * 1000 }}"
    "{% endfor %}{% endfor %}",
    "a macro without end": "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
    "a recursive loop": "{% set l = [] %}{% set _ = l.append(l) %}"
    "{% for x in l recursive %}{{ loop(x) }}{% endfor %}",
}
SAID = {
    "~ of a string": "`~` would build 134,217,728 characters (at most 100,000,000)",
    "+ of a string": "`+` would build 134,217,728 characters (at most 100,000,000)",
    "+ of a list": "`+` would build 16,777,216 items (at most 10,000,000)",
    "+ of bytes": "`+` would build 134,217,728 characters (at most 100,000,000)",
    "% of a string": "`%` would build 134,217,732 characters (at most 100,000,000)",
    "format": "`format` would build 134,217,728 characters (at most 100,000,000)",
    "the format filter": "`format` would build 134,217,732 characters (at most 100,000,000)",
    "tojson": "`tojson` would build 1",
    "pprint": "`pprint` would build 1",
    "sum": "`sum` would build 16,777,216 items (at most 10,000,000)",
    "translate": "`translate` would build 10,000,000,000 characters (at most 100,000,000)",
    "wordwrap": "`wordwrap` would build 10,000,200,000 characters (at most 100,000,000)",
    "format fields": "`format` would build 180,000,000 characters (at most 100,000,000)",
    "% fields": "`%` would build 2,160,000,048 characters (at most 100,000,000)",
    "extend": "`extend` would build 16,777,216 items (at most 10,000,000)",
    "append": "`append` would build 10,000,001 items (at most 10,000,000)",
    "a macro twice": "a macro or a `call`, `filter` or `set` block would output over 100,000,000 characters",
    "a set block": "a macro or a `call`, `filter` or `set` block would output over 100,000,000 characters",
    "the output": "the template would render over 100,000,000 characters",
    "a macro without end": "calls nest over 100 deep (a macro, `caller()` or recursive `loop()`",
    "a recursive loop": "calls nest over 100 deep",
}
RENDER = """\
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))
from agentmake.errors import AgentfileError
from agentmake.errors import AgentfileError
from agentmake.model import Prompt
from agentmake.templates import render_prompt
said = {}
for name, text in json.loads(sys.stdin.read()).items():
    try:
        text = render_prompt(Prompt("line one\\n" + text + "\\n", "prompts/p.md"), {})
        said[name] = ["rendered", len(text)]
    except AgentfileError as e:
        said[name] = [str(e.loc), e.message]
    except MemoryError:
        said[name] = ["", "MemoryError"]
print(json.dumps(said))
"""


def test_what_a_loop_or_a_macro_builds_step_by_step_is_refused_located() -> None:
    run = subprocess.run(
        [sys.executable, "-c", RENDER], input=json.dumps(CASES), capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    said = json.loads(run.stdout)
    for name, words in SAID.items():
        where, message = said[name]
        assert where.startswith("prompts/p.md:2:") and words in message, (name, said[name])


def test_the_same_steps_within_bounds_render_as_jinja_renders_them() -> None:
    text = (
        "{% macro m() %}[{{ caller() }}]{% endmacro %}{% call m() %}in{% endcall %}|{{ 'a' ~ 1 ~ none }}|"
        "{{ [1] + [2] }}|{{ 'a' + 'b' }}|{{ 1 + 2 }}|{{ (1, 2) + (3,) }}|"
        "{% set d = {} %}{% set _ = d.update({'a': 1}, b=2) %}{{ d }}|"
        "{% set l = [1] %}{% set _ = l.insert(0, 5) %}{% set _ = l.extend(range(2)) %}{{ l }}|"
        "{% filter upper %}{% for i in range(3) %}x{{ i }}{% endfor %}{% endfilter %}|"
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{% else %}deep{% endif %}{% endmacro %}{{ f(99) }}"
    )
    assert render_prompt(Prompt(text, "p.md"), {}) == (
        "[in]|a1None|[1, 2]|ab|3|(1, 2, 3)|{'a': 1, 'b': 2}|[5, 1, 0, 1]|X0X1X2|deep"
    )


@pytest.mark.parametrize("op", ["~", "+"])
def test_a_task_whose_prompt_doubles_a_string_fails_naming_its_prompt_file_and_the_bound(
    tmp_path: Path, fake_agents: FakeAgents, op: str
) -> None:
    # (27 doublings: 134 MB, just over the bound, so that a bound lost again costs little)
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("docs/a.md", "hello\n")
    e2e.write(
        "Agentfile", "agent t:\n    inputs = docs/a.md\n    outputs = out/a.md\n    prompt = prompts/t.md\n"
    )
    e2e.write(
        "prompts/t.md",
        "FAKE: label=t\nSummarize {{ input }}.\n"
        "{% set ns = namespace(s='x') %}{% for i in range(27) %}"
        f"{{% set ns.s = ns.s {op} ns.s %}}{{% endfor %}}\n",
    )
    run = e2e.am()
    assert run.code == 1 and not e2e.calls(), run
    assert (
        f"✗ t: prompts/t.md:3:1: SecurityError: `{op}` would build 134,217,728 characters"
        " (at most 100,000,000)" in run.text
    ), run


@pytest.mark.parametrize(
    ("step", "said"),
    [
        ("{% set _ = d.update({i: 1}) %}", "`update` would build 11 items (at most 10)"),
        ("{% set _ = d.setdefault(i, 1) %}", "`setdefault` would build 11 items (at most 10)"),
        ("{% set _ = s.add(i) %}", "`add` would build 11 items (at most 10)"),
        ("{% set _ = l.insert(0, i) %}", "`insert` would build 11 items (at most 10)"),
        ("{% set _ = l.extend(range(i)) %}", "`extend` would build 15 items (at most 10)"),
    ],
)
def test_a_dict_set_or_list_grown_by_its_methods_is_bounded(
    monkeypatch: pytest.MonkeyPatch, step: str, said: str
) -> None:
    # (the bound made 10, as each method is bounded alike: ten million items would take a while to reach)
    monkeypatch.setattr("agentmake.sandbox_growth.MAX_ITEMS", 10)
    text = "{% set d = {} %}{% set l = [] %}{% for i in range(20) %}" + step + "{% endfor %}"
    with pytest.raises(AgentfileError) as info:
        render_prompt(Prompt(text, "p.md"), {"s": set()})
    assert said in info.value.message, info.value.message


def test_a_report_template_doubling_a_string_fails_located(tmp_path: Path) -> None:
    from agentmake.report.template import render_template

    (tmp_path / "t.md.j2").write_text(
        "# {{ title }}\n{% set ns = namespace(s='x') %}{% for i in range(27) %}{% set ns.s = ns.s ~ ns.s %}"
        "{% endfor %}\n"
    )
    with pytest.raises(AgentfileError) as info:
        render_template(tmp_path / "t.md.j2", title="T", inputs=[], summary="", variables={})
    assert (
        info.value.message == "report template: `~` would build 134,217,728 characters (at most 100,000,000)"
    )
    assert info.value.loc is not None and info.value.loc.line == 2, info.value


def test_what_a_filter_method_or_operator_returns_is_bounded_but_not_what_read_returns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (the bound made 10; `read` gives an input whole, which a prompt may slice: it amplifies nothing)
    monkeypatch.setattr("agentmake.sandbox_growth.MAX_BUILT", 10)
    monkeypatch.setattr("agentmake.sandbox_growth.MAX_ITEMS", 10)
    # (`*` keeps its own bound, as many items as characters: grammar/README.md)
    assert render_prompt(Prompt("{{ ([0] * 20)|length }}", "p.md"), {}) == "20"
    assert render_prompt(
        Prompt("{{ read('a')[:5] }}|{{ 'ab'|tojson }}", "p.md"), {"read": lambda p: "y" * 20}
    ) == ('yyyyy|"ab"')
    for step, said in [
        ("'abcdef'|tojson|tojson", "`tojson` would build 12 characters (at most 10)"),
        ("'%s%s' % ('abcdef', 'xyzuv')", "`%` would build 11 characters (at most 10)"),
        ("'{0}{0}'.format('abcdef')", "`format` would build 12 characters (at most 10)"),
    ]:
        with pytest.raises(AgentfileError) as info:
            render_prompt(Prompt("{{ (" + step + ")|length }}", "p.md"), {})
        assert said in info.value.message, (step, info.value.message)


def test_translate_wordwrap_and_format_fields_within_bounds_render_as_jinja_renders_them() -> None:
    text = (
        "{{ 'abc'.translate({97: 'xy', 98: none, -1: 'zz'}) }}|{{ 'a b-c'|wordwrap(1, wrapstring='<br>') }}|"
        "{{ '%(a)s%(a)s%%' % {'a': 'q'} }}|{{ '%s-%*d' % ('s', 3, 1) }}|{{ '%s%s'|format('f', 'g') }}|"
        "{{ '{0}{0}{1:>3}'.format('w', 1) }}"
    )
    assert render_prompt(Prompt(text, "p.md"), {}) == "xyc|a<br>b<br>-<br>c|qq%|s-  1|fg|ww  1"
