"""Running bkctl as a user does: a subprocess with its own HOME, cache and passphrase."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PASSPHRASE = "correct horse battery staple"


@dataclass
class Runner:
    """Runs ``python -m bkctl`` in ``cwd`` with an isolated environment."""

    cwd: Path
    env: dict[str, str]

    def __call__(self, *args: str, input: str | None = None, extra_env: dict[str, str] | None = None,
                 timeout: float = 120) -> subprocess.CompletedProcess[str]:
        env = {**self.env, **(extra_env or {})}
        result = subprocess.run([sys.executable, "-m", "bkctl", *args], cwd=self.cwd, env=env, input=input,
                                capture_output=True, text=True, timeout=timeout)
        assert "Traceback" not in result.stderr, result.stderr
        assert PASSPHRASE not in result.stdout + result.stderr
        return result


def make_runner(tmp_path: Path) -> Runner:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BKCTL_")}
    env.update(HOME=str(home), BKCTL_PASSPHRASE=PASSPHRASE, BKCTL_TEST_FAST_KDF="1",
               BKCTL_CACHE_DIR=str(tmp_path / "cache"), NO_COLOR="1", COLUMNS="200")
    return Runner(tmp_path, env)
