"""``python -m bkctl`` runs the CLI."""

import sys

from bkctl.cli.main import run

sys.exit(run())
