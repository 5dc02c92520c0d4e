#!/usr/bin/env python3
"""Compare bkctl's engine with restic and borg on the shared corpus.

Usage: python bench/run_bench.py [--size 1G] [--work /tmp/bkctl-bench] [--tools bkctl,restic]

Steps for each tool: initial backup, no-change backup, backup after a ~1% mutation,
full restore. Every run is a fresh subprocess (interpreter start-up counts, as it does
for users). Prints a table of wall-clock seconds and repository sizes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

CORPUS_TOOL = Path("/work/shared/bench/make_corpus.py")
PASSWORD = "bench-password"

OURS = """
import os
import sys
from pathlib import Path
from bkctl.archiver import backup_paths
from bkctl.repo import KdfParams, Repository
from bkctl.restorer import restore_point
from bkctl.secrets import Secret
from bkctl.store import LocalStore
action, repo_dir, cache, corpus = sys.argv[1:5]
store = LocalStore(Path(repo_dir))
if action == "init":
    Repository.init(store, Secret(os.environ["RESTIC_PASSWORD"]), kdf=KdfParams(), cache_dir=Path(cache))
    sys.exit(0)
repo = Repository.open(store, Secret(os.environ["RESTIC_PASSWORD"]), cache_dir=Path(cache))
if action == "backup":
    backup_paths(repo, workload="bench", host="bench", paths=[Path(corpus)])
else:
    restore_point(repo, repo.list_points()[-1].id, Path(sys.argv[5]))
"""


def timed(command: list[str], env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, env={**os.environ, **(env or {})},
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def size_of(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def commands(name: str, repo: Path, cache: Path, corpus: Path, out: Path,
             run: int) -> dict[str, list[str]]:
    """The init, backup and restore command lines of one tool (``run`` numbers archives)."""
    if name == "bkctl":
        base = [sys.executable, "-c", OURS]
        args = [str(repo), str(cache), str(corpus)]
        return {"init": [*base, "init", *args], "backup": [*base, "backup", *args],
                "restore": [*base, "restore", *args, str(out)]}
    if name == "restic":
        base = ["restic", "-q", "-r", str(repo)]
        return {"init": [*base, "init"], "backup": [*base, "backup", str(corpus)],
                "restore": [*base, "restore", "latest", "--target", str(out)]}
    return {"init": ["borg", "init", "-e", "repokey", str(repo)],
            "backup": ["borg", "create", "--compression", "zstd,3", f"{repo}::a{run}",
                       str(corpus)],
            "restore": ["bash", "-c", f"mkdir -p {out} && cd {out} && borg extract "
                        f"{repo}::a{run - 1}"]}


def bench_tool(name: str, work: Path, corpus: Path) -> dict[str, float]:
    repo, cache, out = work / f"{name}-repo", work / f"{name}-cache", work / f"{name}-out"
    for path in (repo, cache, out):
        shutil.rmtree(path, ignore_errors=True)
    env = {"RESTIC_PASSWORD": PASSWORD, "BORG_PASSPHRASE": PASSWORD,
           "RESTIC_CACHE_DIR": str(cache), "BORG_CACHE_DIR": str(cache)}
    runs = iter(range(100))

    def step(action: str) -> float:
        return timed(commands(name, repo, cache, corpus, out, next(runs))[action], env)

    step("init")
    results = {"initial": step("backup"), "no-change": step("backup")}
    subprocess.run([sys.executable, str(CORPUS_TOOL), "mutate", str(corpus), "--round", "1"],
                   check=True, stdout=subprocess.DEVNULL)
    results["after 1% change"] = step("backup")
    subprocess.run(["sync"], check=True)
    results["restore"] = step("restore")
    results["repo MiB"] = size_of(repo) / 2**20
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="1G")
    parser.add_argument("--work", type=Path, default=Path("/tmp/bkctl-bench"))
    parser.add_argument("--tools", default="bkctl,restic,borg")
    args = parser.parse_args()
    table: dict[str, dict[str, float]] = {}
    for tool in args.tools.split(","):
        if tool != "bkctl" and shutil.which(tool) is None:
            print(f"skipping {tool}: not installed")
            continue
        corpus = args.work / "corpus"
        shutil.rmtree(corpus, ignore_errors=True)  # same bytes for every tool
        subprocess.run([sys.executable, str(CORPUS_TOOL), "generate", str(corpus),
                        "--size", args.size, "--seed", "42"], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run(["sync"], check=True)
        table[tool] = bench_tool(tool, args.work, corpus)
        print(tool, {k: round(v, 2) for k, v in table[tool].items()}, flush=True)
    rows = list(next(iter(table.values())))
    print(f"\n{'':18}" + "".join(f"{tool:>10}" for tool in table))
    for row in rows:
        print(f"{row:18}" + "".join(f"{table[tool][row]:10.2f}" for tool in table))


if __name__ == "__main__":
    main()
