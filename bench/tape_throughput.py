"""Writing the bench corpus to an emulated tape library, beside the disk repository figure.

Steps, each timed on its own (wall seconds, MiB/s of the corpus's apparent size):

* ``disk``: a backup of the corpus into a fresh disk repository (what ``bkctl apply``
  does for a disk target): the baseline, the engine's own speed on this machine;
* ``tape write``: that recovery point written from the disk repository onto the tape
  library (both passes: hashing every chunk with the library key, then re-sealing the
  stored payloads; spanning cartridges at early warning);
* ``tape read``: the point copied back from tape into a fresh repository (what a restore
  from tape does before the ordinary restorer runs);
* ``direct``: a backup of the corpus by the tape target driver, as ``bkctl apply`` runs it
  for a workload that lists the tape target: saved into a staging repository, written to
  tape from it, the staging repository deleted.

The library uses ``--media`` (default LTO-8) with ``--capacity`` (default 400MiB, so a
1 GiB corpus spans cartridges as a real multi-cartridge write does). The estimate for the
same write on real media (load, locate, native rate) is printed for comparison. Results
go to bench/out/tape-<time>.json. The machine is shared: run it when it is quiet.

    python bench/tape_throughput.py [--size 1G] [--corpus DIR] [--media LTO-8] [--capacity 400MiB]
                                    [--corpus-tool PATH/make_corpus.py]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bkctl.archiver import backup_paths  # noqa: E402
from bkctl.model.target import TapeTarget  # noqa: E402
from bkctl.model.units import format_size, parse_size  # noqa: E402
from bkctl.repo import KdfParams, Repository  # noqa: E402
from bkctl.secrets import Secret  # noqa: E402
from bkctl.sources.files import FilesSource  # noqa: E402
from bkctl.store import LocalStore  # noqa: E402
from bkctl.tape import LibraryDescription, PoolRule, TapeLibrary, estimate_write, timing_for  # noqa: E402
from bkctl.targets.base import BackupJob  # noqa: E402
from bkctl.targets.tape import TapeDriver  # noqa: E402

# shared/ sits beside the main checkout (and two levels up from a worktree in wt/)
CORPUS_TOOLS = [folder / "shared" / "bench" / "make_corpus.py" for folder in (ROOT.parent, ROOT.parents[1])]
PASSPHRASE = Secret("bench")


def apparent_size(folder: Path) -> int:
    return sum(entry.stat().st_size for entry in folder.rglob("*") if entry.is_file() and not entry.is_symlink())


def allocated(folder: Path) -> int:
    return sum(entry.stat().st_blocks * 512 for entry in folder.rglob("*") if entry.is_file())


def timed(label: str, corpus_mib: float, action):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - started
    print(f"{label:11s} {corpus_mib:8.1f} MiB in {seconds:7.2f} s = {corpus_mib / seconds:7.1f} MiB/s", flush=True)
    return result, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="1G")
    parser.add_argument("--corpus", type=Path, default=None, help="reuse or create the corpus here")
    parser.add_argument("--media", default="LTO-8")
    parser.add_argument("--capacity", default="400MiB")
    parser.add_argument("--corpus-tool", type=Path, default=next((p for p in CORPUS_TOOLS if p.is_file()), None))
    options = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bkctl-tape-bench-"))
    try:
        run(options, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(options: argparse.Namespace, work: Path) -> None:
    corpus = options.corpus or work / "corpus"
    if not corpus.exists():
        subprocess.run([sys.executable, str(options.corpus_tool), "generate", str(corpus), "--size", options.size],
                       check=True)
    mib = apparent_size(corpus) / (1 << 20)
    capacity = parse_size(options.capacity)

    repository = Repository.init(LocalStore(work / "disk"), PASSPHRASE, kdf=KdfParams.fast(),
                                 cache_dir=work / "cache")
    point, disk_seconds = timed("disk", mib, lambda: backup_paths(repository, workload="corpus", host="bench",
                                                                  paths=[corpus]))
    description = LibraryDescription(media=options.media, capacity=capacity, drives=1, slots=64, mail_slots=1,
                                     cartridges=64)
    library = TapeLibrary.ensure(work / "library", description, PASSPHRASE, KdfParams.fast())
    rules = {"bench": PoolRule("bench")}
    entry, write_seconds = timed("tape write", mib, lambda: library.writer(rules, datetime.now(UTC)).write(
        repository, point.id, "bench"))
    destination = Repository.init(LocalStore(work / "back"), PASSPHRASE, kdf=KdfParams.fast(),
                                  cache_dir=work / "cache-back")
    _, read_seconds = timed("tape read", mib, lambda: library.copy_to_repository(point.id, destination))
    spec = TapeTarget(type="tape", library="direct", media=options.media, cartridge_capacity=capacity,
                      cartridges=64)
    driver = TapeDriver("direct", spec, work / "direct", {}, PASSPHRASE)
    driver.init()
    job = BackupJob(workload="corpus", host="bench", source=FilesSource((corpus,)), compression=3)
    _, direct_seconds = timed("direct", mib, lambda: driver.backup(job))

    cartridges = len(entry.parts)
    real = estimate_write(timing_for(options.media), entry.stream_length, cartridges)
    print(f"repository {format_size(allocated(work / 'disk'))}, on tape {format_size(entry.stream_length)} "
          f"over {cartridges} cartridge(s) of {format_size(capacity)}; real {options.media} estimate "
          f"{real.seconds:.0f} s", flush=True)
    results = {"time": datetime.now(UTC).isoformat(), "corpus_mib": mib, "media": options.media,
               "capacity": capacity, "disk_seconds": disk_seconds, "tape_write_seconds": write_seconds,
               "tape_read_seconds": read_seconds, "direct_seconds": direct_seconds,
               "repository_bytes": allocated(work / "disk"),
               "tape_bytes": entry.stream_length, "cartridges": cartridges, "estimate_seconds": real.seconds}
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / f"tape-{datetime.now(UTC):%Y%m%dT%H%M%S}.json").write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
