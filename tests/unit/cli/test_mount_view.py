"""The mounted namespace without FUSE: folders by id and time, errnos instead of errors."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime

import pytest

from bkctl.cli import mount
from bkctl.cli.main import run
from bkctl.cli.mount_view import PointsView, folder_names
from bkctl.errors import NotFoundError, RepositoryCorruptError
from bkctl.model.state import PointRecord
from bkctl.operations import EntryChange, PointEntry, PointRow

ENTRIES = {
    "/etc": PointEntry("/etc", "dir", 0o755, 0, 5),
    "/etc/hosts": PointEntry("/etc/hosts", "file", 0o640, 11, 7, uid=12, gid=34),
    "/etc/broken": PointEntry("/etc/broken", "file", 0o644, 4, 7),
    "/etc/link": PointEntry("/etc/link", "symlink", 0o777, 0, 7, link_target="hosts"),
}


class Content:
    def __init__(self, data: bytes) -> None:
        self.size, self.data = len(data), data

    def read(self, offset: int, length: int) -> bytes:
        if self.data == b"bad!":
            raise RepositoryCorruptError("blob 00ff failed authentication")
        return self.data[offset:offset + length]


class FakeBrowser:
    """Every point holds ENTRIES; /etc/broken is damaged."""

    def reading(self) -> AbstractContextManager[None]:
        return nullcontext()

    def point_entries(self, point_id: str, path: str = "/", *, recursive: bool = True) -> Iterator[PointEntry]:
        prefix = path.rstrip("/") + "/"
        yield from (e for p, e in ENTRIES.items() if p.startswith(prefix) and "/" not in p[len(prefix):])

    def point_entry(self, point_id: str, path: str) -> PointEntry:
        if path not in ENTRIES:
            raise NotFoundError(f"no {path} in the point")
        return ENTRIES[path]

    def open_point_file(self, point_id: str, path: str) -> Content:
        return Content(b"bad!" if path.endswith("broken") else b"127.0.0.1 x")

    def point_changes(self, old_id: str, new_id: str) -> Iterator[EntryChange]:
        return iter(())


def row(point_id: str, second: int) -> PointRow:
    time = datetime(2026, 5, 1, 12, 0, second, tzinfo=UTC)
    return PointRow("local", PointRecord(id=point_id, workload="w", host="h", time=time))


@pytest.fixture
def view() -> PointsView:
    return PointsView([row("aa" * 16, 0), row("bb" * 16, 0), row("cc" * 16, 9)], FakeBrowser(), ready=lambda: None)


def test_points_are_folders_by_short_id_and_by_time_and_latest_links_the_newest(view: PointsView) -> None:
    assert view.readdir("/", 0) == [".", "..", "ids", "points", "latest"]
    assert view.readdir("/ids", 0)[2:] == ["aaaaaaaa", "bbbbbbbb", "cccccccc"]
    assert view.readdir("/points", 0)[2:] == ["2026-05-01T12:00:00Z", "2026-05-01T12:00:00Z-bbbbbbbb",
                                              "2026-05-01T12:00:09Z"]
    assert view.readlink("/latest") == "points/2026-05-01T12:00:09Z"
    assert view.readdir("/ids/aaaaaaaa/etc", 0)[2:] == ["hosts", "broken", "link"]


def test_short_ids_that_clash_stay_whole() -> None:
    by_id, _ = folder_names([row("ab" * 16, 0), row("ab" * 4 + "cd" * 12, 1)])
    assert sorted(by_id) == ["ab" * 16, "ab" * 4 + "cd" * 12]


def test_attributes_carry_the_stored_metadata(view: PointsView) -> None:
    hosts = view.getattr("/points/2026-05-01T12:00:09Z/etc/hosts")
    assert stat.S_ISREG(hosts["st_mode"]) and stat.S_IMODE(hosts["st_mode"]) == 0o640
    assert (hosts["st_size"], hosts["st_uid"], hosts["st_gid"], hosts["st_mtime"]) == (11, 12, 34, 7)
    link = view.getattr("/ids/cccccccc/etc/link")
    assert stat.S_ISLNK(link["st_mode"]) and link["st_size"] == len("hosts")
    assert view.readlink("/ids/cccccccc/etc/link") == "hosts"
    top = view.getattr("/ids/cccccccc")
    newest = datetime(2026, 5, 1, 12, 0, 9, tzinfo=UTC)
    assert stat.S_ISDIR(top["st_mode"]) and top["st_mtime"] == newest.timestamp() * 1e9


@pytest.mark.parametrize(("path", "code"), [("/ids/ffffffff", errno.ENOENT), ("/ids/aaaaaaaa/nothing", errno.ENOENT),
                                            ("/other", errno.ENOENT)])
def test_missing_paths_are_enoent(view: PointsView, path: str, code: int) -> None:
    with pytest.raises(OSError) as raised:
        view.getattr(path)
    assert raised.value.errno == code


def test_files_read_writes_are_refused_and_damage_is_eio(view: PointsView, capsys: pytest.CaptureFixture[str]) -> None:
    handle = view.open("/ids/aaaaaaaa/etc/hosts", os.O_RDONLY)
    assert view.read("/ids/aaaaaaaa/etc/hosts", 4, 2, handle) == b"7.0."
    view.release("/ids/aaaaaaaa/etc/hosts", handle)
    with pytest.raises(OSError) as refused:
        view.open("/ids/aaaaaaaa/etc/hosts", os.O_WRONLY)
    assert refused.value.errno == errno.EROFS
    broken = view.open("/ids/aaaaaaaa/etc/broken", os.O_RDONLY)
    with pytest.raises(OSError) as damaged:
        view.read("/ids/aaaaaaaa/etc/broken", 4, 0, broken)
    assert damaged.value.errno == errno.EIO
    assert "failed authentication" in capsys.readouterr().err


def test_mount_without_fuse_exits_70_naming_what_is_missing(monkeypatch: pytest.MonkeyPatch, tmp_path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(mount, "FUSE_DEVICE", str(tmp_path / "no-fuse"))
    assert run(["mount", "docs", str(tmp_path)]) == 70
    assert "no-fuse is missing" in capsys.readouterr().err
