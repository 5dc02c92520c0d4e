"""Points on tape are sealed: no plaintext on any cartridge; the passphrase alone restores them."""

from __future__ import annotations

import io
import shutil

import pytest
from tape_setup import (
    PASSPHRASE,
    MiB,
    back_up,
    day,
    digests,
    make_library,
    make_repository,
    random_files,
    restored_files,
    rules,
)

from bkctl.archiver import backup_stream
from bkctl.errors import ExitCode, NotFoundError, PassphraseError, RepositoryCorruptError
from bkctl.restorer import restore_stream
from bkctl.secrets import Secret
from bkctl.tape import TapeLibrary

CONTENT = "quartz-zebra-content-marker-58213 "
NEEDLES = [b"quartz-zebra-content-marker", b"marmalade-dossier", b"payroll-ledger-workload", b"zinc-dump-workload",
           b"stream-marker-77123", b"secret-folder-name"]


@pytest.fixture
def written(tmp_path):
    source = tmp_path / "secret-folder-name"
    random_files(source, {"marmalade-dossier.bin": 2 * MiB}, CONTENT * 2000)
    (source / "marmalade-dossier.txt").write_text(CONTENT * 50)
    repository = make_repository(tmp_path / "repo")
    files_point = back_up(repository, source, "payroll-ledger-workload", day(0))
    dump = io.BytesIO(b"stream-marker-77123 " * 40000)
    stream_point = backup_stream(repository, workload="zinc-dump-workload", host="tape-host", name="dump.sql",
                                 stream=dump, compression=None, now=day(0)).id
    library = make_library(tmp_path / "library", cartridges=3, capacity=8 * MiB, vaults=("offsite",))
    writer = library.writer(rules(), day(0))
    for point_id in (files_point, stream_point):
        writer.write(repository, point_id, "default")
    return tmp_path, source, library, files_point, stream_point


def test_no_plaintext_of_contents_names_or_workloads_anywhere_in_the_library(written):
    tmp_path, _, library, _, _ = written
    library.export(["BK0001TT"], "offsite")  # the vault is searched too
    files = [p for p in tmp_path.rglob("*") if p.is_file() and ({"library", "vault-offsite"} & set(p.parts))]
    assert any(p.name == "data" for p in files) and len(files) > 10
    for path in files:
        raw = path.read_bytes()
        found = [needle for needle in NEEDLES if needle in raw]
        assert found == [], f"{path.relative_to(tmp_path)} holds {found}"


def test_files_and_stream_points_come_back_from_tape(written, tmp_path):
    _, source, library, files_point, stream_point = written
    assert restored_files(library, files_point, tmp_path, source) == digests(source)
    repository = make_repository(tmp_path / "again")
    library.copy_to_repository(stream_point, repository)
    out = io.BytesIO()
    restore_stream(repository, stream_point, out)
    assert out.getvalue() == b"stream-marker-77123 " * 40000
    copied = library.copy_to_repository(stream_point, repository)  # idempotent
    assert [p.id for p in repository.list_points()] == [copied.id]
    assert (copied.workload, copied.time) == ("zinc-dump-workload", day(0))


def test_the_passphrase_alone_recovers_keys_and_catalog_from_the_cartridges(written, tmp_path):
    folder, source, library, files_point, stream_point = written
    shutil.rmtree(folder / "library" / "keys")
    shutil.rmtree(folder / "library" / "catalog")
    with pytest.raises(NotFoundError, match="no keys"):
        TapeLibrary.open(folder / "library", PASSPHRASE)
    with pytest.raises(PassphraseError) as wrong:
        TapeLibrary.recover_keys(folder / "library", Secret("not the passphrase"))
    assert wrong.value.exit_code == ExitCode.PASSPHRASE and "not the passphrase" not in str(wrong.value)
    recovered = TapeLibrary.recover_keys(folder / "library", PASSPHRASE)
    assert recovered.points() == []
    recovered.scan()
    assert {p.id for _, p in recovered.points()} == {files_point, stream_point}
    assert restored_files(recovered, files_point, tmp_path, source) == digests(source)


def test_verify_rereads_and_authenticates_and_names_damage(written):
    folder, _, library, files_point, _ = written
    result = library.verify(files_point)
    assert result.blobs >= 3 and result.bytes > 2 * MiB and result.cartridges == ("BK0001TT",)
    data = folder / "library" / "cartridges" / "BK0001TT" / "data"
    raw = bytearray(data.read_bytes())
    raw[len(raw) // 3] ^= 0xFF
    data.write_bytes(bytes(raw))
    with pytest.raises(RepositoryCorruptError) as caught:
        library.verify(files_point)
    assert caught.value.exit_code == ExitCode.CORRUPT and "BK0001TT" in str(caught.value)


def test_point_records_list_each_point_once_for_the_planner(written):
    _, _, library, files_point, stream_point = written
    records = {r.id: r for r in library.point_records()}
    assert set(records) == {files_point, stream_point}
    assert (records[files_point].workload, records[files_point].host, records[files_point].time) == (
        "payroll-ledger-workload", "tape-host", day(0))
