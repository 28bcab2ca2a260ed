"""The per-task work of committing a shell task's outputs (issue #4: a fan-out of trivial tasks): each
commit checks its output directories against the project root (`confine.check_inside`, links followed), but
resolves the root itself once per build, not once per task (`Outcomes._real_root`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agentmake.cli import main

COPY = """\
agent copy:
    inputs  = src/{name}.txt
    outputs = out/{name}.txt
    run     = "cp {input} {output}"
"""
TASKS = 12


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "Agentfile").write_text(COPY)
    (tmp_path / "src").mkdir()
    for i in range(TASKS):
        (tmp_path / "src" / f"{i:02d}.txt").write_text(f"{i}\n")
    return tmp_path


def test_a_build_resolves_the_project_root_once_not_once_per_commit(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    resolved: list[str] = []
    realpath = os.path.realpath

    def counting(path: os.PathLike[str] | str, *args: object, **kwargs: object) -> str:
        if os.fspath(path) == os.fspath(project):
            resolved.append(os.fspath(path))
        return realpath(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os.path, "realpath", counting)
    assert main(["-C", str(project), "-j", "2"]) == 0
    assert sorted(os.listdir(project / "out")) == [f"{i:02d}.txt" for i in range(TASKS)]
    assert len(resolved) < TASKS // 2, resolved  # (was one per commit, and more)


def test_an_output_directory_linked_out_of_the_project_mid_run_is_still_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The root is resolved once, each output's directory at every commit: a task that links its output's
    directory out of the project while it runs (after its output was staged there) is refused at its commit,
    and nothing is renamed out of the project; the task before it commits as ever."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    root = tmp_path / "proj"
    (root / "src").mkdir(parents=True)
    (root / "src" / "a.txt").write_text("a\n")
    (root / "Agentfile").write_text(
        "agent first:\n"
        "    inputs  = src/a.txt\n"
        "    outputs = one/a.txt\n"
        '    run     = "cp {input} {output}"\n'
        "\n"
        "agent second:\n"
        "    inputs  = one/a.txt\n"
        "    outputs = two/b.txt\n"
        f'    run     = "cp {{input}} {{output}} && mv two two.real && ln -s {outside} two"\n'
    )
    assert main(["-C", str(root), "-j", "1"]) != 0
    assert "outside the project" in capsys.readouterr().err
    assert (root / "one" / "a.txt").read_text() == "a\n"
    assert os.listdir(outside) == []


@pytest.mark.parametrize(
    "output",
    [
        *("out/a.txt", "a.txt", "deep/er/a.b.txt", "out/.hidden", ".dot/a"),
        *("./out/a", "out//a", "out/./a", "a/../b", "out/a/"),
    ],
)
@pytest.mark.parametrize("root", ["/", "/tmp/p", "/tmp/p/../q", ".", "rel/dir"])
def test_the_cheap_forms_of_staged_and_target_paths_agree_with_pathlib(root: str, output: str) -> None:
    """`staging.staged_relative` and `results._is_target` answer by string where they can; each answer (or
    None: asked the slow way) is what `os.path.relpath` / Path equality say."""
    from agentmake.runners.staging import staged_relative
    from agentmake.store.results import _is_target

    base = Path(root)
    target = base / output
    staged = target.with_name(f".{target.stem}.agentmake-tmp-0123abcd{target.suffix}")
    rel = staged_relative(output, staged)
    assert rel is None or rel == os.path.relpath(staged, base)
    for src in (staged, target, Path(os.fspath(target)), os.fspath(target)):
        assert _is_target(src, base, output) == (Path(src) == base / output)
    assert staged_relative("out/a.txt", Path("/p/out/.a.agentmake-tmp-1.txt")) == "out/.a.agentmake-tmp-1.txt"


def test_check_inside_given_the_resolved_root_resolves_as_realpath_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the root resolved already, an output's directory is resolved by its own components alone (no
    lstat of the root's), and every verdict is the one the whole `realpath` gives: directories in place,
    missing, linked inside the project, linked out of it, a file in the way."""
    from agentmake.confine import OutsideProject, check_inside

    root = tmp_path / "proj"
    (root / "out" / "deep").mkdir(parents=True)
    (root / "inner").mkdir()
    (root / "in_link").symlink_to(root / "inner")
    (root / "out_link").symlink_to(tmp_path)
    (root / "afile").write_text("x")
    real_root = os.path.realpath(root)
    rels = [
        *("out/a", "out/deep/a", "missing/a", "missing/more/a", "in_link/a", "in_link/sub/a"),
        *("out_link/a", "out/../out_link/a", "afile/a", "./out/a", "out//a", ".hidden/a", "a"),
    ]
    for rel in rels:
        verdicts = []
        for given in (None, real_root):
            try:
                check_inside(root, rel, given)
                verdicts.append("inside")
            except OutsideProject:
                verdicts.append("outside")
        assert verdicts[0] == verdicts[1], rel
        assert verdicts[0] == ("outside" if "out_link" in rel else "inside"), rel

    looked: list[str] = []
    lstat = os.lstat

    def counting(path: str, *args: object, **kwargs: object) -> os.stat_result:
        looked.append(os.fspath(path))
        return lstat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "lstat", counting)
    check_inside(root, "out/deep/a", real_root)
    assert looked == [f"{real_root}/out", f"{real_root}/out/deep"]
