"""Per-task path work done with strings, not pathlib (issue #4): `staged_path` for an output in normal form,
with the pathlib way kept for any other, both giving the same path and sharing one mkdir per directory."""

from __future__ import annotations

import re
from pathlib import Path, PurePath

import pytest

from agentmake.confine import OutsideProject
from agentmake.runners.staging import staged_path


def _counting_mkdir(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    calls: list[Path] = []
    real = Path.mkdir

    def counting(self: Path, *args: object, **kwargs: object) -> None:
        calls.append(self)
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "mkdir", counting)
    return calls


def test_a_plain_and_a_non_plain_spelling_of_a_directory_share_its_mkdir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`./out//b.txt` takes the pathlib way (not `plainly_relative`): its directory is the normal one, under
    the same key as `out/a.txt`'s, so it is made once (a string join of `./out/` would key it apart)."""
    calls = _counting_mkdir(monkeypatch)
    made: dict[str, Path] = {}
    a = staged_path(tmp_path, "out/a.txt", made)
    b = staged_path(tmp_path, "./out//b.txt", made)
    c = staged_path(tmp_path, "./top.txt", made)
    d = staged_path(tmp_path, "top2.txt", made)
    assert a.parent == b.parent == tmp_path / "out" and c.parent == d.parent == tmp_path
    assert str(a.parent) == str(tmp_path / "out")  # (a normal path string: no `./`, no `//`)
    assert calls == [tmp_path / "out", tmp_path]
    assert made == {str(tmp_path / "out"): tmp_path / "out", str(tmp_path): tmp_path}


@pytest.mark.parametrize("name", ["a.txt", "a.tar.gz", ".bashrc", "a.", "noext", "..x", "a..b", ".a.b"])
@pytest.mark.parametrize("made", [True, False])
def test_a_staged_name_keeps_the_stem_and_suffix_pathlib_gives(tmp_path: Path, name: str, made: bool) -> None:
    """With a `made` dict (the string way, for an output in normal form) and without (pathlib): the name is
    `.<stem>.agentmake-tmp-<8 hex><suffix>`, stem and suffix as `PurePath` says them."""
    output = f"d/{name}" if made or "." in name[:1] else f"./d/{name}"
    staged = staged_path(tmp_path, output, {} if made else None)
    pure = PurePath(name)
    assert staged.parent == tmp_path / "d"
    pattern = rf"\.{re.escape(pure.stem)}\.agentmake-tmp-[0-9a-f]{{8}}{re.escape(pure.suffix)}"
    assert re.fullmatch(pattern, staged.name), staged.name


def test_the_root_directory_as_project_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """A project at `/`: its directories' keys are `/out`, `/` (not `//out`), found in `made`: no mkdir."""

    def refuse(self: Path, *args: object, **kwargs: object) -> None:
        raise AssertionError(f"mkdir {self}")

    monkeypatch.setattr(Path, "mkdir", refuse)
    made = {"/out": Path("/out"), "/": Path("/")}
    assert staged_path(Path("/"), "out/x.txt", made).parent == Path("/out")
    assert staged_path(Path("/"), "x.txt", made).parent == Path("/")


@pytest.mark.parametrize("output", ["sub/x.txt", "./sub/x.txt"])
def test_a_directory_through_a_link_out_is_refused_either_way(tmp_path: Path, output: str) -> None:
    root, outside = tmp_path / "p", tmp_path / "elsewhere"
    root.mkdir()
    outside.mkdir()
    (root / "sub").symlink_to(outside)
    with pytest.raises(OutsideProject):
        staged_path(root, output, {})
    assert not list(outside.iterdir())
