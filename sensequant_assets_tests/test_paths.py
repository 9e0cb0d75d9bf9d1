"""The one guard every delete goes through: a path is used only once proven inside its root."""

import contextlib
from pathlib import Path

import pytest

from sensequant_assets.paths import PathOutsideRootError, inside, remove_inside

HOSTILE = ["..", ".", "/etc", "a/../../b", "../" * 3 + "x", "x" * 300, "ＡＢＣ/../..", ""]


def listing(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else b"<dir>")
        for p in sorted(folder.rglob("*"))
    }


@pytest.mark.parametrize("key", HOSTILE)
def test_a_hostile_key_never_deletes_outside_its_root(tmp_path: Path, key: str) -> None:
    root = tmp_path / "data" / "models"
    (root / "TCS").mkdir(parents=True)
    (root / "TCS" / "m.cbm").write_bytes(b"model")
    (tmp_path / "data" / "lists.txt").write_text("TCS\n")
    before = listing(tmp_path)
    with contextlib.suppress(PathOutsideRootError, OSError):
        remove_inside(root, root / key)
    assert listing(tmp_path) == before


def test_the_root_itself_and_its_parents_are_refused(tmp_path: Path) -> None:
    for path in (tmp_path, tmp_path.parent, tmp_path / ".." / "x"):
        with pytest.raises(PathOutsideRootError, match="not inside"):
            inside(tmp_path, path)


def test_a_symlink_is_removed_never_followed(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    outside = tmp_path / "precious"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    (root / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(PathOutsideRootError):
        inside(root, root / "link")
    assert remove_inside(root, root / "link")
    assert (outside / "keep.txt").read_text() == "keep"


def test_a_path_inside_is_removed(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    assert remove_inside(tmp_path, tmp_path / "a")
    assert not (tmp_path / "a").exists()
    assert not remove_inside(tmp_path, tmp_path / "a")
