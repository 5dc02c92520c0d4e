"""The repository engine: content-addressed, deduplicated, compressed, encrypted."""

from bkctl.repo.keys import KdfParams, KeyInfo
from bkctl.repo.points import PointInfo
from bkctl.repo.reclaim import ReclaimStats
from bkctl.repo.repository import FORMAT_VERSION, Repository
from bkctl.repo.verify import VerifyReport

__all__ = [
    "FORMAT_VERSION", "KdfParams", "KeyInfo", "PointInfo", "ReclaimStats", "Repository",
    "VerifyReport",
]
