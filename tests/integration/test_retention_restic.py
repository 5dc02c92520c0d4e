"""bkctl retention against restic's ``forget``, point for point, on real repositories.

Seeded random histories (three hosts, one restic group each) span 2019-2025 with year
ends, ISO week 53 (2020-12-28..2021-01-03), leap days and dense hours. For every rule
combination, ``restic forget --dry-run --json --group-by host`` says which snapshots it
keeps; ``apply_retention`` must keep exactly the same points.

``restic init`` calibrates scrypt to ~0.5 s per command; the fixture replaces the key
with a cheap one (same master key) so the ~135 backups take seconds, not minutes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bkctl.model.policy import Retention
from bkctl.planner.retention import apply_retention

pytestmark = pytest.mark.skipif(shutil.which("restic") is None, reason="restic is not installed")

HOSTS = ("h1", "h2", "h3")
POINTS_PER_HOST = 45
EDGES = [
    datetime(2019, 12, 31, 23, 59, 58), datetime(2020, 1, 1, 0, 0, 3),
    datetime(2020, 2, 29, 12, 0, 1), datetime(2020, 12, 27, 22, 0, 7),
    datetime(2020, 12, 31, 12, 0, 5), datetime(2021, 1, 1, 9, 0, 11),
    datetime(2021, 1, 3, 23, 59, 13), datetime(2021, 1, 4, 0, 0, 17),
    datetime(2024, 2, 28, 23, 0, 19), datetime(2024, 2, 29, 1, 0, 23),
    datetime(2024, 3, 1, 0, 30, 29), datetime(2024, 12, 31, 23, 30, 31),
]
COMBOS: list[dict[str, object]] = [
    {"last": 5},
    {"hourly": 10},
    {"daily": 7},
    {"weekly": 8},
    {"monthly": 12},
    {"yearly": 5},
    {"daily": 7, "weekly": 4, "monthly": 6, "yearly": 3},
    {"last": 3, "within": "30d"},
    {"within": "2y"},
    {"hourly": 24, "daily": 14, "weekly": 53},
    {"last": 2, "monthly": 3, "within": "5d12h"},
]


def _history(seed: int) -> list[datetime]:
    """Edge times, random times over 2019-2025, and bursts within single hours and days."""
    rng = random.Random(seed)
    start, span = datetime(2019, 1, 1), 7 * 365 * 86400
    times = set(rng.sample(EDGES, 8))
    while len(times) < POINTS_PER_HOST - 12:
        times.add(start + timedelta(seconds=rng.randrange(span)))
    burst = max(times) - timedelta(hours=rng.randrange(1, 48))
    while len(times) < POINTS_PER_HOST:
        times.add(burst - timedelta(seconds=rng.randrange(1, 3 * 86400)))
    return sorted(t.replace(microsecond=0) for t in times)


def _seal(encrypt: bytes, mac_k: bytes, mac_r: bytes, plaintext: bytes) -> bytes:
    """restic's authenticated encryption: IV || AES-256-CTR || Poly1305-AES(IV)."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.poly1305 import Poly1305

    iv = os.urandom(16)
    encryptor = Cipher(algorithms.AES(encrypt), modes.CTR(iv)).encryptor()
    body = encryptor.update(plaintext) + encryptor.finalize()
    mask = Cipher(algorithms.AES(mac_k), modes.ECB()).encryptor()
    nonce_key = mask.update(iv) + mask.finalize()
    return iv + body + Poly1305.generate_tag(mac_r + nonce_key, body)


def _use_cheap_key(repo: Path, env: dict[str, str]) -> None:
    master = _restic(env, "cat", "masterkey")
    salt, n, r, p = os.urandom(64), 1024, 8, 1
    derived = hashlib.scrypt(env["RESTIC_PASSWORD"].encode(), salt=salt, n=n, r=r, p=p, dklen=64)
    sealed = _seal(derived[:32], derived[32:48], derived[48:64], master)
    document = json.dumps({
        "created": "2020-01-01T00:00:00Z", "username": "test", "hostname": "test",
        "kdf": "scrypt", "N": n, "r": r, "p": p,
        "salt": base64.b64encode(salt).decode(), "data": base64.b64encode(sealed).decode(),
    }).encode()
    expensive = list((repo / "keys").iterdir())
    (repo / "keys" / hashlib.sha256(document).hexdigest()).write_bytes(document)
    for key in expensive:
        key.unlink()


def _restic(env: dict[str, str], *args: str) -> bytes:
    done = subprocess.run(["restic", *args], env=env, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], dict]:
    """A restic repo holding one snapshot per history time, and {host: {id: time}}."""
    root = tmp_path_factory.mktemp("restic")
    (root / "data").mkdir()
    (root / "data" / "file").write_text("tiny\n")
    env = {**os.environ, "RESTIC_REPOSITORY": str(root / "repo"), "RESTIC_PASSWORD": "test",
           "TZ": "UTC", "RESTIC_CACHE_DIR": str(root / "cache")}
    _restic(env, "init")
    _use_cheap_key(root / "repo", env)
    # Three concurrent backups measured fastest here; eight made restic's lock checks
    # contend and took ten times longer.
    jobs = [(h, t) for i, h in enumerate(HOSTS) for t in _history(seed=2026 + i)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(lambda job: _restic(
            env, "backup", "-q", "--host", job[0], "--time", job[1].strftime("%Y-%m-%d %H:%M:%S"),
            str(root / "data")), jobs))
    snapshots = json.loads(_restic(env, "snapshots", "--json"))
    by_host: dict[str, dict[str, datetime]] = {h: {} for h in HOSTS}
    for snapshot in snapshots:
        moment = datetime.fromisoformat(snapshot["time"].replace("Z", "+00:00"))
        by_host[snapshot["hostname"]][snapshot["id"]] = moment.astimezone(UTC)
    assert sum(len(v) for v in by_host.values()) == len(jobs)
    return env, by_host


def _restic_flags(combo: dict[str, object]) -> list[str]:
    """bkctl rules as restic flags; restic writes months as 'm' where bkctl writes 'mo'."""
    return [f"--keep-{rule}={str(value).replace('mo', 'm')}" for rule, value in combo.items()]


@pytest.mark.parametrize("combo", COMBOS, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()))
def test_bkctl_keeps_exactly_what_restic_keeps(repository, combo: dict[str, object]) -> None:
    env, by_host = repository
    groups = json.loads(_restic(env, "forget", "--dry-run", "--json", "--group-by", "host",
                                *_restic_flags(combo)))
    retention = Retention.model_validate(combo)
    for group in groups:
        host = group["host"]
        restic_kept = {s["id"] for s in group["keep"]}
        ours = apply_retention(retention, [(t, i) for i, t in by_host[host].items()])
        bkctl_kept = {v.key for v in ours if v.kept}
        differences = sorted(by_host[host][i] for i in restic_kept ^ bkctl_kept)
        assert differences == [], f"host {host}: kept by only one of restic and bkctl"
    assert {g["host"] for g in groups} == set(HOSTS)
