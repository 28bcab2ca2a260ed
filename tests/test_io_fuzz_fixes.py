"""Findings of a fuzz of input contents and command-line arguments, each with the behaviour it fixed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from agentmake.cli import main
from agentmake.model import Prompt
from agentmake.templates import prompt_context, render_prompt


def test_templates_see_an_inputs_line_endings_as_they_are(tmp_path: Path) -> None:
    """`files[i].content` and `read()` used universal newlines: a CRLF file reached the agent with LF line
    endings, and a file of CR-only lines as LF lines, not the content of the file."""
    (tmp_path / "crlf.txt").write_bytes(b"a\r\nb\r\n")
    (tmp_path / "cr.txt").write_bytes(b"one\rtwo\r")
    ctx = prompt_context(tmp_path, {}, {}, ["crlf.txt", "cr.txt"], ["out.md"])
    every = Prompt("{% for f in files %}{{ f.content }}{% endfor %}")
    assert render_prompt(every, ctx) == "a\r\nb\r\none\rtwo\r"
    each = Prompt("{{ read('crlf.txt') }}|{{ read(files[1]) }}")
    assert render_prompt(each, ctx) == "a\r\nb\r\n|one\rtwo\r"


def test_a_newline_in_a_file_name_cannot_forge_a_line_of_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Error messages quote file names, task ids and wildcard values, and were printed with their line breaks
    kept: a file whose name holds a newline could print a line of its own (here a fake summary line), in a
    located error and in a "did you mean" hint alike."""
    forged = "agentmake: 5 ran, 0 cached, 0 up to date, 0 failed in 0.1s"
    for name in (f"x\n{forged}/yz.txt", f"x\n{forged}y/z.txt"):  # two tasks that would write one file
        (tmp_path / "in" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "in" / name).write_text("1")
    agent = 'agent t:\n    run = "cat {input} > {output}"\n    inputs = in/%s.txt\n    outputs = out/%s.md\n'
    (tmp_path / "Agentfile").write_text(agent % ("{a}/{b}", "{a}{b}"))
    assert main(["-C", str(tmp_path), "-n"]) == 2
    err = capsys.readouterr().err
    assert "is produced by both" in err and f"x\\n{forged}" in err, err
    assert not any(line.startswith("agentmake: 5 ran") for line in err.splitlines()), err

    (tmp_path / "Agentfile").write_text(agent % ("{a}/yz", "{a}"))
    assert main(["-C", str(tmp_path), "-n", f"t:x {forged}"]) == 2  # "did you mean" names the task id
    err = capsys.readouterr().err
    assert f"did you mean 't:x\\n{forged}'" in err, err
    assert len(err.splitlines()) == 1, err


@pytest.mark.parametrize(
    "name", ["hash#35;", "#9829;", "<img src=x onerror=alert(1)>", "a&amp;b", 'q"uote', "new\nline", "x|y"]
)
def test_graph_mermaid_shows_a_name_as_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """`graph --format mermaid` escaped only `"`: Mermaid reads `#35;` as an entity code (a file named
    `hash#35;.md` showed as `hash#`), and labels as HTML. Every markup character is an entity code now, as in
    the report's charts: the label decodes back to the name."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / f"{name}.txt").write_text("1")
    (tmp_path / "Agentfile").write_text(
        'agent t:\n    run = "cat {input} > {output}"\n    inputs = in/{n}.txt\n    outputs = out/{n}.md\n'
        "report r:\n    inputs = out/*.md\n    output = R.md\n"
    )
    assert main(["-C", str(tmp_path), "graph", "--format", "mermaid"]) == 0
    lines = capsys.readouterr().out.splitlines()
    node = next(line for line in lines if line.startswith("  t0["))
    edge = next(line for line in lines if "-->" in line)
    label = node[len('  t0["') : -len('"]')]
    assert re.sub(r"#(\d+);", lambda m: chr(int(m.group(1))), label) == f"t:{name}", node
    assert re.fullmatch(r"[A-Za-z0-9 _.,/:+=@#;-]*", label), node  # nothing Mermaid reads as markup
    assert edge.startswith('  t0 -->|"') and edge.endswith('"| t1') and '"' not in edge[10:-5], edge


@pytest.mark.parametrize("override", ["jobs=abc", "retries=-1", "timeout=0", "budget=nan"])
def test_watch_refuses_a_bad_setting_on_the_command_line(tmp_path: Path, override: str) -> None:
    """`agentmake watch jobs=abc` said "watching for changes (fix it to start building)" and waited for an
    edit that could never fix it (the command line wins over the file); `agentmake jobs=abc` exits 2."""
    (tmp_path / "Agentfile").write_text('agent a:\n    run = "echo hi > {output}"\n    outputs = out.txt\n')
    try:
        done = subprocess.run(
            [sys.executable, "-m", "agentmake", "-C", str(tmp_path), "watch", override],
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    except subprocess.TimeoutExpired as e:  # (before the fix: it watched for ever)
        pytest.fail(f"watch {override} kept watching: {e.stderr!r}")
    assert done.returncode == 2, done
    assert f"command line {override}" in done.stderr and "watching" not in done.stderr, done.stderr
    assert not (tmp_path / "out.txt").exists()


@pytest.mark.parametrize("blocker", ["prompts", "notes"])
def test_init_writes_nothing_when_a_file_stands_where_a_directory_goes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], blocker: str
) -> None:
    """With a file named `prompts`, init wrote the Agentfile, then failed ("cannot use a file: File exists"),
    and a second init refused to replace the Agentfile it had left, which names a prompt that is missing."""
    (tmp_path / blocker).write_text("mine\n")
    assert main(["-C", str(tmp_path), "init"]) == 2
    err = capsys.readouterr().err
    assert f"{blocker} in {tmp_path} is not a directory; nothing written" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == [blocker]
    (tmp_path / blocker).unlink()
    assert main(["-C", str(tmp_path), "init"]) == 0
    assert main(["-C", str(tmp_path), "check"]) == 0


def test_init_does_not_write_through_a_dangling_link(tmp_path: Path) -> None:
    """A dangling link named Agentfile did not count as existing: init wrote the file it points to."""
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "Agentfile").symlink_to(tmp_path / "elsewhere")
    assert main(["-C", str(tmp_path / "p"), "init"]) == 2
    assert not (tmp_path / "elsewhere").exists()


def test_a_report_section_heading_is_one_line_whatever_the_file_name(tmp_path: Path) -> None:
    """A report's section heading was `## <path>` as it is: a newline in a file name ended the heading and
    put the rest of the name in the document as text of its own (`# ...` there makes a heading)."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a\n# Forged.txt").write_text("same\n")
    (tmp_path / "in" / "b\u202etxt.md").write_text("same\n")
    (tmp_path / "Agentfile").write_text(
        "report r:\n    inputs = in/*\n    output = R.md\n    summary = false\n"
    )
    assert main(["-C", str(tmp_path), "-s"]) == 0
    report = (tmp_path / "R.md").read_text()
    assert "## in/a\\n# Forged.txt\n" in report and "\n# Forged" not in report, report
    assert "## in/b\\u202etxt.md\n" in report and "_(same as `in/a\\n# Forged.txt`)_" in report, report


def test_a_report_template_shows_an_input_as_its_path(tmp_path: Path) -> None:
    """In a report template `{{ inputs }}` printed `[Input(path='a.md', content='...', data=None, ...)]`
    (every input's whole content, as a Python repr) and `{{ inputs[0] }}` one such repr; in a prompt an item
    of `files` shows as its path. Now a report's inputs do too."""
    (tmp_path / "a.md").write_text("alpha\n")
    (tmp_path / "b.json").write_text('{"k": 1}')
    (tmp_path / "t.md").write_text(
        "{{ inputs }}|{{ inputs[0] }}|{{ inputs[1].data.k }}|{{ inputs[0].content }}"
    )
    (tmp_path / "Agentfile").write_text(
        "report r:\n    inputs = a.md b.json\n    output = R.md\n    template = t.md\n    summary = false\n"
    )
    assert main(["-C", str(tmp_path), "-s"]) == 0
    assert (tmp_path / "R.md").read_text() == "a.md\nb.json|a.md|1|alpha\n"  # (one path a line: PathList)


def test_clean_leaves_a_directory_at_an_output_path_and_cleans_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`clean -n` said it would remove a directory standing at an output path; `clean` then stopped at it
    ("cannot use a file: Is a directory", exit 2) and left every output after it. Now both say it is left
    alone, and the rest is removed."""
    (tmp_path / "in.txt").write_text("x\n")
    (tmp_path / "Agentfile").write_text(
        'agent a:\n    run = "cp {input} {output}"\n    inputs = in.txt\n    outputs = out/a.md\n'
        'agent b:\n    run = "cp {input} {output}"\n    inputs = in.txt\n    outputs = out/b.md\n'
    )
    assert main(["-C", str(tmp_path), "-s"]) == 0
    (tmp_path / "out" / "a.md").unlink()
    (tmp_path / "out" / "a.md").mkdir()
    (tmp_path / "out" / "a.md" / "mine.txt").write_text("mine\n")
    capsys.readouterr()
    assert main(["-C", str(tmp_path), "clean", "-n"]) == 0
    out = capsys.readouterr().out
    assert "not removing out/a.md: a directory" in out and "would remove out/b.md" in out, out
    assert "would remove out/a.md" not in out, out
    assert main(["-C", str(tmp_path), "clean"]) == 0
    assert (tmp_path / "out" / "a.md" / "mine.txt").read_text() == "mine\n"
    assert not (tmp_path / "out" / "b.md").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="no RLIMIT_NOFILE")
def test_many_jobs_under_a_low_soft_limit_on_open_files(tmp_path: Path) -> None:
    """With a soft limit of 256 open files (macOS's default) and a high hard one, `-j 150` failed tasks with
    "cannot start sh: Too many open files" (each running task holds a few descriptors) and stopped the
    build; agentmake now raises its soft limit towards the hard one first."""
    import resource

    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2048:
        pytest.skip(f"the hard limit on open files is {hard}")
    (tmp_path / "in").mkdir()
    for i in range(200):
        (tmp_path / "in" / f"{i}.txt").write_text(f"{i}\n")
    (tmp_path / "Agentfile").write_text(
        'agent a:\n    run = "sleep 0.5; cp {input} {output}"\n'
        "    inputs = in/{n}.txt\n    outputs = o/{n}.txt\n"
    )

    def low_soft_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))

    done = subprocess.run(
        [sys.executable, "-m", "agentmake", "-C", str(tmp_path), "-s", "-j", "150"],
        capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL, preexec_fn=low_soft_limit,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "200 ran" in done.stdout and "Too many open files" not in done.stderr, done
