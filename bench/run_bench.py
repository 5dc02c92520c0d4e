#!/usr/bin/env python3
"""Compare bkctl's engine with restic and borg on the shared corpus.

Usage: python bench/run_bench.py [--size 1G] [--rounds 3] [--work /tmp/bkctl-bench]
                                 [--tools bkctl,restic,borg] [--corpus-tool PATH]
                                 [--baseline CHECKOUT] [--corpus shared|small] [--files 50000]

``--corpus small`` replaces the shared corpus by ``bench/small_corpus.py``: ``--files``
source-like files of 1-20 KiB, and an after-change step that edits ~5% of them and adds and
removes 300 (an upstream update of a source tree).

``--baseline`` adds a tool ``bkctl-base``: the engine of another checkout (e.g. a
``git worktree`` of an earlier commit), measured in the same rounds, so a change is
compared with what it replaced under the same machine noise.

Each round runs every step for every tool, tools taking turns step by step (the order
rotates per round, so no tool always goes first or last):

* initial backup into a fresh repository,
* a no-change backup,
* a backup after ``make_corpus.py mutate --round r`` (~1% churn),
* a full restore of the latest snapshot into a new directory, verified file by file:
  the restored tree's ``make_corpus.py manifest`` must equal the corpus's,
* repository size (``du`` of the repository directory, allocated bytes),
* peak RSS of every step (``/usr/bin/time -f %M``; else the RUSAGE_CHILDREN maximum).

Every run is a fresh subprocess (interpreter start-up counts, as it does for users);
bkctl's modules are compiled to bytecode first, as an installed package's are.
Medians per tool and the ratios against bkctl are printed and written as JSON to
bench/out/. Caveats: page caches cannot be dropped here (corpus reads are warm for every
tool alike); ``sync`` runs before each timed step so one step's writeback is not billed
to the next; restored trees are deleted only at the end, because creating files right
after deleting ~20k others is slow on ext4 (inode allocator scan) and would skew
whichever tool came next. borg runs with ``--compression zstd,3`` (its default is lz4)
so that it compresses like bkctl's default and restic's ``auto``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS_TOOL = Path(__file__).resolve().parents[2] / "shared/bench/make_corpus.py"
SMALL_CORPUS_TOOL = Path(__file__).resolve().parent / "small_corpus.py"
PASSWORD = "bench-password"
TIME = "/usr/bin/time"
STEPS = ("initial", "no-change", "after-change", "restore")

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


class Run:
    """Measures one subprocess: wall seconds, CPU seconds, peak RSS (KiB)."""

    def __init__(self, command: list[str], env: dict[str, str], cwd: Path | None = None):
        with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
            use_time = os.access(TIME, os.X_OK)
            wrapped = ([TIME, "-o", report.name, "-f", "%M %U %S", *command] if use_time
                       else command)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            done = subprocess.run(wrapped, env={**os.environ, **env}, cwd=cwd,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            self.seconds = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if done.returncode != 0:
                raise SystemExit(f"failed ({done.returncode}): {' '.join(command)}\n"
                                 f"{done.stderr[-2000:]}")
            if use_time:
                rss, user, system = report.read().split()[-3:]
                self.rss_kib, self.cpu = int(rss), float(user) + float(system)
            else:  # ru_maxrss of children is a running maximum: only rises are exact
                self.rss_kib = after.ru_maxrss
                self.cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


class Tool:
    def __init__(self, name: str, work: Path, round_no: int, baseline: Path | None = None) -> None:
        self.name = name
        self.ours = name in ("bkctl", "bkctl-base")
        base = work / f"r{round_no}-{name}"
        self.repo, self.cache = base / "repo", base / "cache"
        code = baseline if name == "bkctl-base" and baseline is not None else ROOT
        self.code = code  # also the child's working folder: ``-c`` puts the cwd first on sys.path
        self.env = {"RESTIC_PASSWORD": PASSWORD, "BORG_PASSPHRASE": PASSWORD,
                    "RESTIC_CACHE_DIR": str(self.cache), "BORG_CACHE_DIR": str(self.cache),
                    "BORG_DISPLAY_PASSPHRASE": "no", "PYTHONPATH": str(code)}
        self.archives = 0

    def init(self) -> None:
        shutil.rmtree(self.repo.parent, ignore_errors=True)
        self.repo.parent.mkdir(parents=True)
        if self.ours:
            Run([sys.executable, "-c", OURS, "init", str(self.repo), str(self.cache), "-"], self.env, cwd=self.code)
            return
        if self.name == "restic":
            command = ["restic", "-q", "-r", str(self.repo), "init"]
        else:
            command = ["borg", "init", "-e", "repokey", str(self.repo)]
        Run(command, self.env)

    def backup(self, corpus: Path) -> Run:
        if self.ours:
            return Run([sys.executable, "-c", OURS, "backup", str(self.repo), str(self.cache), str(corpus)],
                       self.env, cwd=self.code)
        if self.name == "restic":
            command = ["restic", "-q", "-r", str(self.repo), "backup", str(corpus)]
        else:
            self.archives += 1
            command = ["borg", "create", "--compression", "zstd,3",
                       f"{self.repo}::a{self.archives}", str(corpus)]
        return Run(command, self.env)

    def restore(self, target: Path) -> Run:
        target.mkdir(parents=True)
        if self.ours:
            return Run([sys.executable, "-c", OURS, "restore", str(self.repo), str(self.cache),
                        "-", str(target)], self.env, cwd=self.code)
        if self.name == "restic":
            return Run(["restic", "-q", "-r", str(self.repo), "restore", "latest", "--target",
                        str(target)], self.env)
        return Run(["borg", "extract", f"{self.repo}::a{self.archives}"], self.env, cwd=target)


def manifest(tool: Path, directory: Path) -> str:
    return subprocess.run([sys.executable, str(tool), "manifest", str(directory)], check=True,
                          capture_output=True, text=True).stdout


def du_bytes(path: Path) -> int:
    out = subprocess.run(["du", "-sb", str(path)], check=True, capture_output=True, text=True)
    return int(out.stdout.split()[0])


def sync() -> None:
    subprocess.run(["sync"], check=True)


def goals_met(r: dict[str, float], corpus: str) -> dict[str, bool]:
    """The speed goals against restic (issue 13), per corpus."""
    if corpus == "small":
        return {"initial backup >= 1.3x restic throughput": r["initial s"] >= 1.3,
                "incremental backup >= 1.5x restic throughput": r["after-change s"] >= 1.5,
                "peak RSS <= restic's": r["peak RSS MiB"] <= 1.0}
    return {"initial backup >= 1.5x restic throughput": r["initial s"] >= 1.5,
            "after-change backup >= 1.5x restic throughput": r["after-change s"] >= 1.5,
            "no-change backup <= 1/2 restic time": r["no-change s"] >= 2.0,
            "restore >= 1.2x restic throughput": r["restore s"] >= 1.2,
            "repository <= restic's": r["repo MiB"] <= 1.0,
            "peak RSS <= restic's": r["peak RSS MiB"] <= 1.0}


def compile_installed(code: Path) -> None:
    """Write bkctl's bytecode, as installing a package does (restic and borg start compiled).

    A checkout run with ``PYTHONDONTWRITEBYTECODE`` set (as on this machine) would
    otherwise compile every module again in every step: 40 ms of each no-change backup.
    """
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(code / "bkctl")], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="1G")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", default="42")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bkctl-bench")
    parser.add_argument("--tools", default="bkctl,restic,borg")
    parser.add_argument("--corpus-tool", type=Path, default=DEFAULT_CORPUS_TOOL)
    parser.add_argument("--keep", action="store_true", help="keep repositories and restores")
    parser.add_argument("--baseline", type=Path, help="another checkout, measured as tool bkctl-base")
    parser.add_argument("--corpus", choices=["shared", "small"], default="shared",
                        help="the shared corpus (--size) or many small files (--files)")
    parser.add_argument("--files", type=int, default=50_000, help="files of the small corpus")
    args = parser.parse_args()
    if not args.corpus_tool.is_file():
        raise SystemExit(f"corpus tool not found: {args.corpus_tool} (use --corpus-tool)")
    tools = [t for t in args.tools.split(",") if t == "bkctl" or shutil.which(t)]
    if args.baseline is not None:
        tools.append("bkctl-base")
    for missing in set(args.tools.split(",")) - set(tools):
        print(f"skipping {missing}: not installed")
    if not os.access(TIME, os.X_OK):
        print(f"{TIME} missing (apt-get install time): RSS from RUSAGE_CHILDREN instead")

    for code in {ROOT, *([args.baseline.resolve()] if args.baseline is not None else [])}:
        compile_installed(code)
    work: Path = args.work.resolve()  # children run in their code folder
    shutil.rmtree(work, ignore_errors=True)
    corpus = work / "corpus"
    if args.corpus == "small":
        generate = [str(SMALL_CORPUS_TOOL), "generate", str(corpus), "--files", str(args.files)]
    else:
        generate = [str(args.corpus_tool), "generate", str(corpus), "--size", args.size]
    subprocess.run([sys.executable, *generate, "--seed", args.seed], check=True, stdout=subprocess.DEVNULL)
    mutator = SMALL_CORPUS_TOOL if args.corpus == "small" else args.corpus_tool
    sync()
    samples: dict[str, dict[str, list[float]]] = {t: {} for t in tools}

    def record(tool: str, metric: str, value: float) -> None:
        samples[tool].setdefault(metric, []).append(value)

    corpus_bytes = du_bytes(corpus)  # allocated, like restic/borg would read it
    apparent = sum(p.stat().st_size for p in corpus.rglob("*") if p.is_file())
    for round_no in range(1, args.rounds + 1):
        order = tools[round_no - 1:] + tools[:round_no - 1]
        print(f"round {round_no}: order {', '.join(order)}", flush=True)
        state = {name: Tool(name, work, round_no, args.baseline.resolve() if args.baseline else None) for name in order}
        for tool in state.values():
            tool.init()
        for step in STEPS:
            if step == "after-change":
                subprocess.run([sys.executable, str(mutator), "mutate", str(corpus),
                                "--round", str(round_no), "--seed", args.seed], check=True,
                               stdout=subprocess.DEVNULL)
            expected = manifest(args.corpus_tool, corpus) if step == "restore" else ""
            for name, tool in state.items():
                sync()
                if step == "restore":
                    target = work / f"restore-r{round_no}-{name}"
                    run = tool.restore(target)
                    restored = target / corpus.relative_to(corpus.anchor)
                    if manifest(args.corpus_tool, restored) != expected:
                        raise SystemExit(f"{name}: restored tree differs from the corpus "
                                         f"({restored})")
                else:
                    run = tool.backup(corpus)
                record(name, f"{step} s", run.seconds)
                record(name, f"{step} cpu s", run.cpu)
                record(name, f"{step} RSS MiB", run.rss_kib / 1024)
                print(f"  {step:13} {name:7} {run.seconds:7.2f} s  cpu {run.cpu:6.2f} s  "
                      f"rss {run.rss_kib / 1024:6.0f} MiB", flush=True)
        for name, tool in state.items():
            record(name, "repo MiB", du_bytes(tool.repo) / 2**20)
            record(name, "peak RSS MiB", max(samples[name][f"{s} RSS MiB"][-1] for s in STEPS))
        if not args.keep:  # repositories hold few files; restored trees wait for the end
            for tool in state.values():
                shutil.rmtree(tool.repo.parent, ignore_errors=True)

    medians = {t: {m: statistics.median(v) for m, v in samples[t].items()} for t in tools}
    metrics = list(next(iter(medians.values())))
    throughput = {f"{s} s" for s in STEPS}
    print(f"\nmedians of {args.rounds} rounds, corpus {apparent / 2**20:.0f} MiB apparent "
          f"({corpus_bytes / 2**20:.0f} MiB allocated), {os.cpu_count()} CPUs")
    others = [t for t in tools if t != "bkctl"]
    header = f"{'metric':18}" + "".join(f"{t:>10}" for t in tools)
    header += "".join(f"{'vs ' + o:>12}" for o in others) if "bkctl" in tools else ""
    print(header)
    ratios: dict[str, dict[str, float]] = {o: {} for o in others}
    for metric in metrics:
        line = f"{metric:18}" + "".join(f"{medians[t][metric]:10.2f}" for t in tools)
        if "bkctl" in tools:
            for other in others:
                ours, theirs = medians["bkctl"][metric], medians[other][metric]
                # times of backup/restore steps: throughput ratio (>1: bkctl faster);
                # everything else: bkctl / other (<1: bkctl smaller)
                ratio = (theirs / ours if metric in throughput else ours / theirs) if ours and \
                    theirs else float("nan")
                ratios[other][metric] = ratio
                line += f"{ratio:11.2f}{'x' if metric in throughput else ' '}"
        print(line)
    print("ratios: step times as throughput (other time / bkctl time, >1 = bkctl faster); "
          "cpu, RSS and size as bkctl / other (<1 = bkctl lower)")
    if "restic" in ratios:
        for goal, met in goals_met(ratios["restic"], args.corpus).items():
            print(f"  [{'met' if met else 'MISSED'}] {goal}")
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    result = {"time": stamp, "corpus": args.corpus, "size": args.size if args.corpus == "shared" else None,
              "files": args.files if args.corpus == "small" else None, "rounds": args.rounds, "cpus": os.cpu_count(),
              "corpus_apparent_bytes": apparent, "corpus_allocated_bytes": corpus_bytes,
              "tools": tools, "samples": samples, "medians": medians, "ratios": ratios,
              "notes": ["page caches not dropped", "borg uses --compression zstd,3",
                        "sync before each step", "restores verified by sha256 manifest"]}
    path = out / f"bench-{stamp}.json"
    path.write_text(json.dumps(result, indent=1))
    print(f"wrote {path.relative_to(ROOT)}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
