"""Off-site vaulting: exported cartridges are never written; a restore needing one says where it is."""

from __future__ import annotations

import hashlib

import pytest
from tape_setup import MiB, back_up, day, digests, make_library, make_repository, random_files, restored_files, rules

from bkctl.errors import ExitCode, MediaOffsiteError, NotFoundError
from bkctl.tape.sense import LibraryError


@pytest.fixture
def vaulted(tmp_path):
    repository = make_repository(tmp_path / "repo")
    source = random_files(tmp_path / "first", {"a.bin": 3 * MiB})
    first = back_up(repository, source, "vaulted", day(0))
    library = make_library(tmp_path / "library", cartridges=4, capacity=8 * MiB, vaults=("offsite",))
    library.writer(rules(), day(0)).write(repository, first, "default")
    library.export(["BK0001TT"], "offsite")
    return tmp_path, repository, library, source, first


def fingerprint(folder):
    return hashlib.sha256((folder / "data").read_bytes() + (folder / "blocks").read_bytes()).hexdigest()


def test_an_exported_cartridge_lives_in_the_vault_directory(vaulted):
    tmp_path, _, library, _, _ = vaulted
    assert (tmp_path / "vault-offsite" / "BK0001TT" / "data").is_file()
    assert not (tmp_path / "library" / "cartridges" / "BK0001TT").exists()
    assert library.changer.location("BK0001TT") == "vault:offsite"
    assert library.changer.attributes("BK0001TT").location == "vault:offsite"
    assert library.changer.slot_map.slots[0] is None


def test_a_restore_needing_an_offsite_cartridge_names_it_and_its_vault(vaulted, tmp_path):
    _, _, library, _, first = vaulted
    [need] = library.restore_map(first)
    assert (need.barcode, need.location, need.recall_seconds) == ("BK0001TT", "vault:offsite", 2 * 86400)
    loads = library.changer.attributes("BK0001TT").loads
    with pytest.raises(MediaOffsiteError) as caught:
        library.copy_to_repository(first, make_repository(tmp_path / "target"))
    assert caught.value.exit_code == ExitCode.MEDIA_OFFSITE == 73
    assert caught.value.barcodes == ("BK0001TT",) and caught.value.vaults == ("offsite",)
    assert "BK0001TT (vault:offsite)" in str(caught.value) and "tape import" in caught.value.hint
    assert library.changer.attributes("BK0001TT").loads == loads  # nothing was loaded


def test_exported_cartridges_are_never_written(vaulted):
    tmp_path, repository, library, _, _ = vaulted
    before = fingerprint(tmp_path / "vault-offsite" / "BK0001TT")
    second = back_up(repository, random_files(tmp_path / "second", {"b.bin": MiB}), "vaulted", day(1))
    entry = library.writer(rules(), day(1)).write(repository, second, "default")
    assert [p.cartridge for p in entry.parts] == ["BK0002TT"]
    assert fingerprint(tmp_path / "vault-offsite" / "BK0001TT") == before
    with pytest.raises(MediaOffsiteError), library.changer.session():
        library.changer.load("BK0001TT")


def test_importing_brings_it_back_and_the_restore_works(vaulted, tmp_path):
    _, _, library, source, first = vaulted
    library.import_(["BK0001TT"])
    assert library.changer.location("BK0001TT") == "slot 1"
    assert restored_files(library, first, tmp_path, source) == digests(source)


def test_exports_are_limited_by_mail_slots_and_need_a_known_vault(vaulted):
    _, _, library, _, _ = vaulted
    with pytest.raises(LibraryError, match="2 mail slot"):
        library.export(["BK0002TT", "BK0003TT", "BK0004TT"], "offsite")
    with pytest.raises(NotFoundError, match="no vault 'elsewhere'"):
        library.export(["BK0002TT"], "elsewhere")
