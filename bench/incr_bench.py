"""Incremental backup timing: one initial backup, then no-change and after-change backups.

Each backup runs in a fresh process (as a real ``bkctl apply`` would), timed inside the
process around ``backup_paths`` only, with the process's peak RSS. The corpus is changed
with the generator's own ``mutate`` (``--mutate "python ... mutate DIR"``) so the change
step is deterministic. Compare two trees of the code with ``--code``.

    python bench/incr_bench.py CORPUS --work /tmp/w --code . --mutate "python bench/small_corpus.py mutate"
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

CHILD = """
import json, resource, sys, time
from pathlib import Path
from bkctl.archiver import backup_paths
from bkctl.repo import KdfParams, Repository
from bkctl.secrets import Secret
from bkctl.store import LocalStore
action, repo_dir, corpus = sys.argv[1:4]
store, secret = LocalStore(Path(repo_dir) / "repo"), Secret("bench-password")
if action == "init":
    Repository.init(store, secret, kdf=KdfParams.fast(), cache_dir=Path(repo_dir) / "cache")
    sys.exit(0)
repo = Repository.open(store, secret, cache_dir=Path(repo_dir) / "cache")
started = time.perf_counter()
point = backup_paths(repo, workload="bench", host="bench", paths=[Path(corpus)])
seconds = time.perf_counter() - started
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(json.dumps({"seconds": round(seconds, 3), "rss_mib": rss, "code": __import__("bkctl").__file__,
                  "reused_trees": point.stats.get("reused_trees"), "files": point.stats["files"]}))
"""


def run(code: Path, *args: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(code.resolve())}
    done = subprocess.run([sys.executable, "-c", CHILD, *args], env=env, check=True, cwd=code,
                          capture_output=True, text=True)
    return json.loads(done.stdout) if done.stdout.strip() else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--code", type=Path, action="append", required=True)
    parser.add_argument("--mutate", default="", help="command run with the corpus dir appended")
    options = parser.parse_args()
    results: dict[str, dict[str, object]] = {}
    works = {str(code): options.work / f"code{number}" for number, code in enumerate(options.code)}
    for code in options.code:
        work, steps = works[str(code)], results.setdefault(str(code), {})
        shutil.rmtree(work, ignore_errors=True)
        run(code, "init", str(work), str(options.corpus))
        for step in ("initial", "no-change", "no-change-2"):
            steps[step] = run(code, "backup", str(work), str(options.corpus))
    if options.mutate:
        subprocess.run([*shlex.split(options.mutate), str(options.corpus)], check=True,
                       stdout=subprocess.DEVNULL)
        for code in options.code:
            results[str(code)]["after-change"] = run(code, "backup", str(works[str(code)]),
                                                     str(options.corpus))
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
