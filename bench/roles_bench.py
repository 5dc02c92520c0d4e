"""What key roles cost: a writer key's backup against an owner key's, and two hosts sharing data.

Usage: python bench/roles_bench.py [--corpus DIR] [--size 1G] [--work DIR]

A writer seals under session keys wrapped to public keys and keys its chunk ids with its own
dedup domain (docs/repository-format.md, "Key roles and epochs"). Measured, in one run:

* the initial backup of the corpus with an owner key and with a writer key (wall time, bytes
  stored): the price of public-key sealing;
* two hosts backing up the same corpus: both with owner keys (one dedup domain, the second
  stores nothing new) and both with writer keys (a domain each, the second stores it all
  again): the price of a domain per host.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bkctl.archiver import backup_paths  # noqa: E402
from bkctl.repo import KdfParams, Repository  # noqa: E402
from bkctl.secrets import Secret  # noqa: E402
from bkctl.store import LocalStore  # noqa: E402

CORPUS_TOOL = ROOT.parent / "shared" / "bench" / "make_corpus.py"
OWNER, FIRST, SECOND = Secret("owner"), Secret("first writer"), Secret("second writer")


def du(path: Path) -> int:
    return int(subprocess.run(["du", "-sb", str(path)], check=True, capture_output=True, text=True).stdout.split()[0])


def timed_backup(store: LocalStore, secret: Secret, cache: Path, host: str, corpus: Path) -> tuple[float, int]:
    with Repository.open(store, secret, cache_dir=cache) as repo:
        started = time.perf_counter()
        point = backup_paths(repo, workload="bench", host=host, paths=[corpus])
        return time.perf_counter() - started, int(point.stats["stored_bytes"])


def fresh(work: Path, name: str, writers: bool) -> LocalStore:
    shutil.rmtree(work / name, ignore_errors=True)
    store = LocalStore(work / name / "repo")
    with Repository.init(store, OWNER, kdf=KdfParams.fast(), cache_dir=work / name / "c") as owner:
        role = "writer" if writers else "owner"
        owner.add_key(FIRST, KdfParams.fast(), role=role, host="host-a")
        owner.add_key(SECOND, KdfParams.fast(), role=role, host="host-b")
    return store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--size", default="1G")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bkctl-roles-bench")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    corpus = args.corpus
    if corpus is None:
        corpus = args.work / "corpus"
        if not corpus.exists():
            subprocess.run([sys.executable, str(CORPUS_TOOL), "generate", str(corpus), "--size", args.size,
                            "--seed", "42"], check=True, stdout=subprocess.DEVNULL)
    size = du(corpus)
    print(f"corpus {corpus}: {size / 2**20:.0f} MiB")
    rows = []
    for writers in (False, True):
        label = "writer keys" if writers else "owner keys"
        store = fresh(args.work, "writers" if writers else "owners", writers)
        first = timed_backup(store, FIRST, args.work / "ca", "host-a", corpus)
        second = timed_backup(store, SECOND, args.work / "cb", "host-b", corpus)
        rows.append((label, first, second, du(store.root)))
        for cache in ("ca", "cb"):
            shutil.rmtree(args.work / cache, ignore_errors=True)
    print(f"{'keys':<12} {'host A s':>9} {'MiB/s':>7} {'host B s':>9} {'B stored MiB':>13} {'repo MiB':>9}")
    for label, (a_seconds, _), (b_seconds, b_stored), repo in rows:
        print(f"{label:<12} {a_seconds:>9.2f} {size / 2**20 / a_seconds:>7.0f} {b_seconds:>9.2f} "
              f"{b_stored / 2**20:>13.1f} {repo / 2**20:>9.1f}")
    (_, (owner_a, _), _, owner_repo), (_, (writer_a, _), _, writer_repo) = rows
    print(f"writer / owner, first host's backup time: {writer_a / owner_a:.2f}; "
          f"repository with two hosts sharing the corpus: {writer_repo / owner_repo:.2f}x")


if __name__ == "__main__":
    os.environ.setdefault("BKCTL_TEST_FAST_KDF", "1")
    main()
