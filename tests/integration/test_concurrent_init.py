"""Two hosts initialising one new target at once (found by the soak): one repository, one
master key, and every host ends up using it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bkctl.repo import KdfParams, Repository
from bkctl.repo.crypto import MasterKey
from bkctl.repo.keys import create_key_object, master_payload
from bkctl.secrets import Secret
from bkctl.store import LocalStore

CHILD = """
import sys, time
from pathlib import Path
from bkctl.repo import KdfParams, Repository
from bkctl.repo.repository import RepositoryExistsError
from bkctl.secrets import Secret
from bkctl.store import LocalStore
store = LocalStore(Path(sys.argv[1]))
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))  # all start at the same instant
try:
    Repository.init(store, Secret("pw"), kdf=KdfParams.fast(), cache_dir=Path(sys.argv[3]))
    print("created")
except RepositoryExistsError:
    print("exists")
"""


def test_concurrent_inits_make_one_repository(tmp_path: Path):
    import time

    start = time.time() + 3.0
    children = [subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path / "repo"), str(start),
                                  str(tmp_path / f"cache{n}")], stdout=subprocess.PIPE, text=True)
                for n in range(4)]
    outcomes = sorted(child.communicate(timeout=120)[0].strip() for child in children)
    assert outcomes == ["created", "exists", "exists", "exists"]
    store = LocalStore(tmp_path / "repo")
    assert len(list(store.list("keys/"))) == 1 and list(store.list("locks/")) == []
    Repository.open(store, Secret("pw"), cache_dir=tmp_path / "check")


def test_a_crashed_inits_key_is_replaced_and_a_stray_key_never_opens_the_repository(tmp_path: Path):
    store = LocalStore(tmp_path / "repo")
    stray = create_key_object(master_payload(MasterKey.generate()), Secret("pw"), KdfParams.fast())
    store.put(f"keys/{stray.info.id}", stray.to_bytes())  # a kill between key and config
    repo = Repository.init(store, Secret("pw"), kdf=KdfParams.fast(), cache_dir=tmp_path / "c")
    assert [name.removeprefix("keys/") for name in store.list("keys/")] == [repo.key_id]
    store.put(f"keys/{stray.info.id}", stray.to_bytes())  # another master key the passphrase opens
    reopened = Repository.open(store, Secret("pw"), cache_dir=tmp_path / "c2")
    assert reopened.key_id == repo.key_id and reopened.id == repo.id
