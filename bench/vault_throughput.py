"""Backup throughput of a generated corpus into a vault: Azurite, moto (S3) and a local disk.

The disk run is the baseline: it shows what the engine itself does on this machine, so
the gap to each object store is what the store path costs. Each run is a fresh
repository (``bkctl apply`` = init + first backup, with the test KDF); MiB/s is the
corpus's apparent size over the wall time of that command.

    python bench/vault_throughput.py [--size 256M] [--corpus DIR] [--runs 1] [--azurite-disk]

Needs azurite-blob (npm install -g azurite@3.35.0) and moto[s3] flask flask-cors.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from objstore import AZURITE_ACCOUNT, AZURITE_KEY, AzuriteServer  # noqa: E402

MAKE_CORPUS = ROOT.parent / "shared" / "bench" / "make_corpus.py"  # shared/ sits beside the repository

VAULT = """\
  store:
    type: vault
    provider: {provider}
    container: {container}
    key_env: VAULT_KEY
    secret_env: VAULT_SECRET
    host: 127.0.0.1
    port: {port}
    secure: false
{region}"""
DISK = """\
  store:
    type: disk
    path: {path}
"""
MANIFEST = """\
version: 1
encryption:
  passphrase_env: BKCTL_PASSPHRASE
targets:
{target}policies:
  daily:
    schedule: {{every: 24h}}
    retention: {{last: 3}}
workloads:
  corpus:
    type: files
    paths: [{corpus}]
    policy: daily
    targets: [store]
"""


def apparent_size(folder: Path) -> int:
    return sum(entry.stat().st_size for entry in folder.rglob("*") if entry.is_file() and not entry.is_symlink())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_moto(port: int) -> subprocess.Popen[bytes]:
    """moto in its own process, so its CPU use does not share bkctl's GIL."""
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("moto did not start")


def timed_backup(work: Path, target: str, corpus: Path, env: dict[str, str]) -> float:
    manifest = work / f"bench-{uuid.uuid4().hex[:8]}.yaml"
    manifest.write_text(MANIFEST.format(target=target, corpus=corpus))
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "bkctl", "apply", "-m", str(manifest), "--auto-approve"],
                            env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"bkctl apply failed:\n{result.stdout}\n{result.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="256M")
    parser.add_argument("--corpus", type=Path, default=None, help="reuse or create the corpus here")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--azurite-disk", action="store_true", help="persist Azurite to disk (default: memory)")
    options = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bkctl-bench-"))
    corpus = options.corpus or work / "corpus"
    if not corpus.exists():
        subprocess.run([sys.executable, str(MAKE_CORPUS), "generate", str(corpus), "--size", options.size], check=True)
    mib = apparent_size(corpus) / (1 << 20)
    env = {**os.environ, "BKCTL_PASSPHRASE": "bench", "BKCTL_TEST_FAST_KDF": "1",
           "BKCTL_CACHE_DIR": str(work / "cache")}

    azurite = AzuriteServer(location=work / "azurite" if options.azurite_disk else None)
    azurite_port = azurite.start()
    moto_port = free_port()
    moto = start_moto(moto_port)
    try:
        for run in range(options.runs):
            targets = {
                "disk": (DISK.format(path=work / f"disk-{run}"), {}),
                "azurite": (VAULT.format(provider="azure_blobs", container=f"bench-{run}", port=azurite_port,
                                         region=""), {"VAULT_KEY": AZURITE_ACCOUNT, "VAULT_SECRET": AZURITE_KEY}),
                "moto": (VAULT.format(provider="s3", container=f"bench-{run}", port=moto_port,
                                      region="    region: us-east-1\n"),
                         {"VAULT_KEY": "bench", "VAULT_SECRET": "bench"}),
            }
            for name, (target, credentials) in targets.items():
                seconds = timed_backup(work, target, corpus, {**env, **credentials})
                print(f"run {run + 1} {name:8s} {mib:8.1f} MiB in {seconds:6.2f} s = {mib / seconds:7.1f} MiB/s",
                      flush=True)
            stored = apparent_size(work / f"disk-{run}") / (1 << 20)
            print(f"run {run + 1} stored after dedup and compression: {stored:.1f} MiB "
                  f"(object stores upload the same bytes)", flush=True)
    finally:
        azurite.stop()
        moto.terminate()
        moto.wait()


if __name__ == "__main__":
    main()
