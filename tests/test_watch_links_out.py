"""`agentmake watch` over inputs reached through symbolic links out of the project (`data/x.csv ->
/srv/data/x.csv`, `docs -> ../shared/docs`): real watchfiles, real files and links. The project's own watch
never sees a save there; the directories outside that tasks read are watched too (`watch.links`)."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import FakeAgents
from test_watch import Watch, write
from test_watch_cancels import _calls, _wait
from test_watch_editors import TRANSLATE, _copies, _first_build

from agentmake.watch.links import resolve_links

ALL = """\
agent all:
    inputs  = docs/**/*.md
    outputs = all.txt
    run     = "echo all >> {log} && cat {{inputs}} > {{output}}"
"""


def test_an_input_that_is_a_link_out_of_the_project_is_watched(tmp_path: Path) -> None:
    """docs/a.md -> ../outside/v1/a.md: saving the target rebuilds copy:a; another file of that directory
    is no change; the link pointed at another directory outside is, and then saves there are (at once, while
    watch moves to that directory), not those of the old target."""
    project, log = _copies(tmp_path, {})
    (project / "docs").mkdir()
    v1, v2 = tmp_path / "outside/v1", tmp_path / "outside/v2"
    v1.mkdir(parents=True)
    v2.mkdir(parents=True)
    write(v1 / "a.md", "one\n")
    write(v1 / "other.md", "other\n")
    write(v2 / "a.md", "two\n")
    os.symlink(v1 / "a.md", project / "docs/a.md")
    built = project / "build/a.txt"
    w = Watch(project, log)
    try:
        _first_build(w)
        assert built.read_text() == "one\n"
        write(v1 / "a.md", "one, edited\n")
        w.wait_for(lambda: built.read_text() == "one, edited\n", "the edit of the link's target to be built")
        w.wait_for(lambda: len(w.summaries()) == 2, "the summary of the second build")
        write(v1 / "other.md", "other, edited\n")  # (in the directory watched, read by nothing)
        w.quiet(1.0)
        os.symlink(v2 / "a.md", project / "docs/.a.md.new")
        os.replace(project / "docs/.a.md.new", project / "docs/a.md")
        w.wait_for(lambda: built.read_text() == "two\n", "the link pointed elsewhere to be built")
        write(v2 / "a.md", "two, edited\n")
        w.wait_for(lambda: built.read_text() == "two, edited\n", "the edit of its new target to be built")
        w.wait_for(lambda: len(w.summaries()) == 4, "the summary of the fourth build")
        write(v1 / "a.md", "one, again\n")  # no longer read: no change
        w.quiet(1.0)
        assert w.runs() == ["copy:a"] * 4
    finally:
        assert w.stop() == 130


def test_an_input_directory_that_is_a_link_out_of_the_project_is_watched(tmp_path: Path) -> None:
    """docs -> ../shared/docs: a save there rebuilds what reads it, a new file there matches the fan-out
    (copy:b), and an editor's swap file there is no change."""
    project, log = _copies(tmp_path, {})
    shared = tmp_path / "shared/docs"
    shared.mkdir(parents=True)
    write(shared / "a.md", "alpha\n")
    os.symlink("../shared/docs", project / "docs")
    w = Watch(project, log)
    try:
        _first_build(w)
        write(shared / "a.md", "alpha, edited\n")
        w.wait_for(lambda: (project / "build/a.txt").read_text() == "alpha, edited\n", "the edit built")
        w.wait_for(lambda: len(w.summaries()) == 2, "the summary of the second build")
        write(shared / "b.md", "beta\n")
        w.wait_for(lambda: (project / "build/b.txt").exists(), "the new file outside to be built")
        w.wait_for(lambda: len(w.summaries()) == 3, "the summary of the third build")
        (shared / ".a.md.swp").write_bytes(b"\0" * 64)
        w.quiet(1.0)
        assert sorted(w.runs()) == ["copy:a", "copy:a", "copy:b"]
        assert w.summaries()[-1][:2] == (2, 0)  # copy:b and the report
    finally:
        assert w.stop() == 130


def test_a_new_subdirectory_of_a_linked_directory_is_watched_once_listed(tmp_path: Path) -> None:
    """docs -> ../shared/docs read as docs/**/*.md: a subdirectory made there with a file in it is built, and
    a save of that file is too (the subdirectory is watched once the graph has listed it)."""
    shared = tmp_path / "shared/docs"
    shared.mkdir(parents=True)
    write(shared / "a.md", "a\n")
    project, log = _copies(tmp_path, {})
    write(project / "Agentfile", ALL.format(log=log))
    os.symlink("../shared/docs", project / "docs")
    built = project / "all.txt"
    w = Watch(project, log)
    try:
        _first_build(w)
        (shared / "sub").mkdir()
        write(shared / "sub/c.md", "c\n")
        w.wait_for(lambda: built.read_text() == "a\nc\n", "the file in the new subdirectory to be built")
        write(shared / "sub/c.md", "c, edited\n")
        w.wait_for(lambda: built.read_text() == "a\nc, edited\n", "its save to be built")
        w.wait_for(lambda: len(w.summaries()) == 3, "the summary of the third build")
        w.quiet(1.0)
        assert w.runs() == ["all"] * 3
    finally:
        assert w.stop() == 130


def test_a_prompt_file_that_is_a_link_out_of_the_project_is_watched(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    """p.md -> ../prompts/p.md: a save of the prompt outside reloads the Agentfile and reruns the agent
    with the new prompt (read as a change of what plans the build, as a prompt in the project is)."""
    outside = tmp_path / "prompts"
    outside.mkdir()
    write(outside / "p.md", "FAKE: label=v1\nTranslate.\n")
    project, _ = _copies(tmp_path, {})
    write(project / "Agentfile", TRANSLATE.format(prompt="p.md"))
    (project / "docs").mkdir()
    write(project / "docs/a.md", "a\n")
    os.symlink("../prompts/p.md", project / "p.md")
    w = Watch(project, tmp_path / "unused.log")
    try:
        _first_build(w)
        write(outside / "p.md", "FAKE: label=v2\nTranslate again.\n")
        _wait(lambda: _calls(fake_agents, "v2") == (1, 1), "the build with the new prompt", w)
        _wait(lambda: "Translate again." in (project / "out/a.md").read_text(), "its output", w)
    finally:
        assert w.stop() == 130


def test_a_directory_outside_that_cannot_be_watched_is_said_once_and_the_project_is_still_watched(
    tmp_path: Path,
) -> None:
    """docs/a.md -> a file in a directory whose name is not valid UTF-8 (watchfiles cannot watch it): watch
    warns once, naming it (its byte escaped, `bad\\xffdir`), and still rebuilds what an edit in the project
    made stale."""
    project, log = _copies(tmp_path, {"b": "beta\n"})
    bad = os.fsencode(tmp_path) + b"/bad\xffdir"
    os.mkdir(bad)
    with open(bad + b"/a.md", "w") as f:
        f.write("alpha\n")
    os.symlink(bad + b"/a.md", os.fsencode(project / "docs/a.md"))
    w = Watch(project, log)
    try:
        _first_build(w)
        _wait(lambda: "cannot watch" in w.stderr(), "the warning", w)
        named = f"cannot watch {tmp_path.resolve()}/bad\\xffdir (read through a link out of the project"
        assert named in w.stderr()
        write(project / "docs/b.md", "beta, edited\n")
        w.wait_for(lambda: (project / "build/b.txt").read_text() == "beta, edited\n", "the edit to be built")
        w.wait_for(lambda: len(w.summaries()) == 2, "the summary of the second build")
        w.quiet(1.0)
        assert w.stderr().count("cannot watch") == 1
        assert w.proc.poll() is None
    finally:
        assert w.stop() == 130


def test_resolve_links_names_events_in_and_out_of_the_project(tmp_path: Path) -> None:
    root = tmp_path.resolve() / "proj"
    (root / "versions").mkdir(parents=True)
    (root / "docs").mkdir()
    out = root.parent / "out"
    (out / "files").mkdir(parents=True)
    (out / "tree/sub").mkdir(parents=True)
    write(root / "versions/v1.md", "1")
    write(root / "plain.md", "p")
    write(out / "files/x.csv", "x")
    write(out / "tree/sub/t.md", "t")
    os.symlink("../versions/v1.md", root / "docs/in.md")  # a link inside
    os.symlink("versions", root / "vers")  # a linked directory inside
    os.symlink(out / "files/x.csv", root / "docs/x.csv")  # a file link out
    os.symlink(out / "tree", root / "tree")  # a directory link out
    read = ["plain.md", "docs/in.md", "vers/v1.md", "docs/x.csv", "tree/sub/t.md", "docs/missing.md"]
    links = resolve_links(root, read, ["", "docs", "tree", "tree/sub"])
    assert links.aliases == {"versions/v1.md": ["docs/in.md", "vers/v1.md"]}
    o = os.fspath(out)
    # the narrowest directories: the linked file's own (not `out`), those the graph listed through a link
    assert links.watch_dirs == {f"{o}/files", f"{o}/tree", f"{o}/tree/sub"}
    assert links.names(f"{o}/files/x.csv") == ["docs/x.csv"]
    assert links.names(f"{o}/files/y.csv") == []  # (read by nothing, in a directory no pattern lists)
    assert links.names(f"{o}/tree/sub/t.md") == ["tree/sub/t.md"]
    assert links.names(f"{o}/tree/new.md") == ["tree/new.md"]  # (may match a fan-out pattern)
    assert links.names(f"{o}/tree/sub") == ["tree/sub"]  # (the listed directory itself: moved, removed)
    assert links.names(f"{root}/versions/v1.md") == ["versions/v1.md", "docs/in.md", "vers/v1.md"]
    assert links.names(f"{root}/docs/in.md") == ["docs/in.md"]  # (the link itself: re-pointed)
    assert links.names(f"{tmp_path}/elsewhere.md") == []


def test_resolve_links_follows_links_as_realpath_does(tmp_path: Path) -> None:
    """Chains of links, relative and absolute, through `..` and linked directories, dangling, and a loop:
    each read path ends where `os.path.realpath` says (resolve_links follows links itself)."""
    base = tmp_path.resolve()
    root, out = base / "proj", base / "out"
    for d in (root / "a/b", root / "c", out / "d"):
        d.mkdir(parents=True)
    write(root / "c/f.md", "f")
    write(out / "d/g.md", "g")
    links = {
        "a/b/one.md": "../../c/f.md",  # relative, up and down
        "a/b/two.md": "one.md",  # to a link
        "a/up": "..",  # a directory, upwards
        "a/b/three.md": "../up/c/f.md",  # through it
        "a/b/four.md": f"{out}/d/g.md",  # absolute, out
        "c/five.md": "../a/b/four.md",  # to a link out
        "c/six.md": "../../out/d/g.md",  # relative, out
        "c/gone.md": "nowhere.md",  # dangling
        "c/loop.md": "loop2.md",
        "c/loop2.md": "loop.md",
        "c/dot": ".",
    }
    for rel, target in links.items():
        os.symlink(target, root / rel)
    read = [*links, "a/up/c/f.md", "c/dot/f.md", "c/f.md", "c/missing.md"]
    found = resolve_links(root, read)
    expected_aliases: dict[str, list[str]] = {}
    expected_out: dict[str, list[str]] = {}
    for rel in read:
        real = os.path.realpath(root / rel)
        if real == str(root):
            continue  # (a directory: not a file read)
        if real.startswith(f"{root}/"):
            if real[len(f"{root}/") :] != rel:
                expected_aliases.setdefault(real[len(f"{root}/") :], []).append(rel)
        else:
            expected_out.setdefault(real, []).append(rel)
    assert found.aliases == expected_aliases
    assert found.outside_files == expected_out
    assert found.watch_dirs == {f"{out}/d"}


def test_an_include_outside_the_project_is_watched(tmp_path: Path) -> None:
    """include "../common.Agentfile" (a file beside the project, no link): saving it reloads the Agentfile
    and builds what it changed; another file of that directory is no change."""
    project, log = tmp_path / "project", tmp_path / "runs.log"
    (project / "docs").mkdir(parents=True)
    write(project / "docs/a.md", "alpha\n")
    write(tmp_path / "common.Agentfile", 'tag = "v1"\n')
    write(tmp_path / "other.txt", "other\n")
    write(
        project / "Agentfile",
        'include "../common.Agentfile"\n\nagent copy:\n    inputs  = docs/{name}.md\n'
        f'    outputs = build/{{name}}.txt\n    run     = "echo copy:{{name}} >> {log} && '
        'echo ${tag} | cat - {input} > {output}"\n',
    )
    built = project / "build/a.txt"
    w = Watch(project, log)
    try:
        _first_build(w)
        assert built.read_text() == "v1\nalpha\n"
        write(tmp_path / "common.Agentfile", 'tag = "v2"\n')
        w.wait_for(lambda: built.read_text() == "v2\nalpha\n", "the edit of the include to be built")
        w.wait_for(lambda: len(w.summaries()) == 2, "the summary of the second build")
        write(tmp_path / "other.txt", "other, edited\n")  # (beside the include, read by nothing)
        w.quiet(1.0)
        assert w.runs() == ["copy:a"] * 2
    finally:
        assert w.stop() == 130
