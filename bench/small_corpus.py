#!/usr/bin/env python3
"""A seeded tree of many small, source-like files, and its incremental change.

The shared corpus (``make_corpus.py``) is mostly large files; a source checkout or a mail
store is tens of thousands of small ones, where per-file costs (stat, open, tree building,
the parent comparison) dominate. ``run_bench.py --corpus small`` measures that case.

    small_corpus.py generate DIR [--files 50000] [--seed 42]
    small_corpus.py mutate   DIR [--round 1] [--seed 42]   # ~5% of files edited, 300 added, 300 removed

Files are 1-20 KiB (mean ~7 KiB) of text lines drawn from a seeded pool of code-like lines,
so they compress about 3-4x and share little byte-for-byte, as source files do. 100 files
per folder, folders two levels deep. Same arguments => byte-identical content.
"""

from __future__ import annotations

import argparse
import os
import random
from pathlib import Path

WORDS = ("def", "class", "return", "self", "value", "index", "buffer", "stream", "parent", "child", "node",
         "tree", "chunk", "pack", "import", "from", "for", "while", "if", "else", "elif", "try", "except",
         "finally", "with", "yield", "lambda", "None", "True", "False", "config", "manifest", "target",
         "policy", "workload", "point", "restore", "backup", "verify", "reclaim")
PER_FOLDER = 100


def _line_pool(rng: random.Random, count: int = 20_000) -> list[bytes]:
    lines = []
    for _ in range(count):
        indent = " " * (4 * rng.randint(0, 3))
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 12)))
        lines.append(f"{indent}{words}  # {rng.getrandbits(32):08x}\n".encode())
    return lines


def _content(rng: random.Random, pool: list[bytes]) -> bytes:
    size = min(20 << 10, max(1 << 10, int(rng.lognormvariate(8.6, 0.6))))
    out = bytearray()
    while len(out) < size:
        out += pool[rng.randrange(len(pool))]
    return bytes(out[:size])


def _path(root: Path, number: int) -> Path:
    folder = number // PER_FOLDER
    return root / f"d{folder // 100:03d}" / f"s{folder % 100:02d}" / f"f{number:06d}.py"


def generate(root: Path, files: int, seed: int) -> None:
    rng = random.Random(seed)
    pool = _line_pool(rng)
    for number in range(files):
        path = _path(root, number)
        if number % PER_FOLDER == 0:
            path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_content(rng, pool))


def mutate(root: Path, round_no: int, seed: int) -> None:
    """Edit ~5% of the files in place, add 300 and remove 300 (an upstream update)."""
    rng = random.Random(seed * 1000 + round_no)
    pool = _line_pool(random.Random(seed))
    existing = sorted(root.rglob("*.py"))
    for path in rng.sample(existing, len(existing) // 20):
        data = bytearray(path.read_bytes())
        at = rng.randrange(len(data))
        data[at:at] = pool[rng.randrange(len(pool))]
        path.write_bytes(bytes(data))
    removed = rng.sample(existing, min(300, len(existing) // 10))
    for path in removed:
        path.unlink()
    highest = max(int(p.stem[1:]) for p in existing)
    for number in range(highest + 1, highest + 301):
        path = _path(root, number)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_content(rng, pool))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=["generate", "mutate"])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--round", type=int, default=1)
    args = parser.parse_args()
    if args.action == "generate":
        args.dir.mkdir(parents=True, exist_ok=True)
        generate(args.dir, args.files, args.seed)
        count = sum(1 for _ in args.dir.rglob("*.py"))
        size = sum(p.stat().st_size for p in args.dir.rglob("*.py"))
        print(f"generated {args.dir}: {count} files, {size / 2**20:.1f} MiB")
    else:
        mutate(args.dir, args.round, args.seed)
    os.sync()


if __name__ == "__main__":
    main()
