"""Backup throughput of a generated corpus into a vault: Azurite, moto (S3) and a local disk.

The disk run is the baseline: it shows what the engine itself does on this machine, so
the gap to each object store is what the store path costs. Each run is a fresh
repository (``bkctl apply`` = init + first backup, with the test KDF); MiB/s is the
corpus's apparent size over the wall time of that command.

Beside each figure: the CPU seconds bkctl used and the CPU seconds the store's server
used in the same time. The emulators run on the cores the engine needs, so "bound" is
the best fraction of the disk figure this machine allows: disk wall time over the time
the two cores need for both processes' work, (bkctl CPU + server CPU) / cores.

    python bench/vault_throughput.py [--size 256M] [--corpus DIR] [--runs 1] [--azurite-disk]

Needs azurite-blob (npm install -g azurite@3.35.0) and moto[s3] flask flask-cors.
"""

from __future__ import annotations

import argparse
import os
import resource
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

CORES = os.cpu_count() or 1
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


def process_cpu(pid: int | None) -> float:
    """User + system CPU seconds of a running process (0 for none)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_backup(work: Path, target: str, corpus: Path, env: dict[str, str],
                 server: int | None) -> tuple[float, float, float]:
    """Wall seconds, bkctl's CPU seconds and the server's CPU seconds of one backup."""
    manifest = work / f"bench-{uuid.uuid4().hex[:8]}.yaml"
    manifest.write_text(MANIFEST.format(target=target, corpus=corpus))
    cpu_before, server_before = children_cpu(), process_cpu(server)
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "bkctl", "apply", "-m", str(manifest), "--auto-approve"],
                            env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"bkctl apply failed:\n{result.stdout}\n{result.stderr}")
    return elapsed, children_cpu() - cpu_before, process_cpu(server) - server_before


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
            servers = {"disk": None, "azurite": azurite.pid, "moto": moto.pid}
            disk_seconds = 0.0
            for name, (target, credentials) in targets.items():
                seconds, cpu, server_cpu = timed_backup(work, target, corpus, {**env, **credentials}, servers[name])
                disk_seconds = disk_seconds or seconds
                line = (f"run {run + 1} {name:8s} {mib:8.1f} MiB in {seconds:6.2f} s = {mib / seconds:7.1f} MiB/s"
                        f"  bkctl CPU {cpu:5.2f} s, server CPU {server_cpu:5.2f} s")
                if name != "disk":
                    bound = disk_seconds / max((cpu + server_cpu) / CORES, disk_seconds)
                    line += f"  = {disk_seconds / seconds:4.0%} of disk (bound {bound:4.0%})"
                print(line, flush=True)
            stored = apparent_size(work / f"disk-{run}") / (1 << 20)
            print(f"run {run + 1} stored after dedup and compression: {stored:.1f} MiB "
                  f"(object stores upload the same bytes)", flush=True)
    finally:
        azurite.stop()
        moto.terminate()
        moto.wait()


if __name__ == "__main__":
    main()
