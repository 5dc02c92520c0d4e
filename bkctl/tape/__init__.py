"""The emulated tape library: cartridges, drives, pools, spanning, recycling, vaulting.

A layer beside the repository engine (it reads repositories, never targets or the CLI).
See docs/tape.md for the model and the on-cartridge format.
"""

from bkctl.tape.allocation import Choice, choose_cartridge, period_of
from bkctl.tape.catalog import CatalogPoint, Part, SetCatalog
from bkctl.tape.changer import Changer
from bkctl.tape.description import LibraryDescription, VaultPlace, describe
from bkctl.tape.drive import Drive, DriveStatus
from bkctl.tape.estimate import Estimate, Timing, cartridges_needed, estimate_read, estimate_write, timing_for
from bkctl.tape.library import LibraryStatus, TapeLibrary, library_status
from bkctl.tape.reader import MediaNeed, require_onsite
from bkctl.tape.recycling import PoolRule, Recyclability, assess, expiry_rule, pool_rules
from bkctl.tape.scan import ScanResult
from bkctl.tape.writer import PointWriter

__all__ = [
    "CatalogPoint", "Changer", "Choice", "Drive", "DriveStatus", "Estimate", "LibraryDescription", "LibraryStatus",
    "MediaNeed", "Part", "PointWriter", "PoolRule", "Recyclability", "ScanResult", "SetCatalog", "TapeLibrary",
    "Timing", "VaultPlace", "assess", "cartridges_needed", "choose_cartridge", "describe", "estimate_read",
    "estimate_write", "expiry_rule", "library_status", "period_of", "pool_rules", "require_onsite", "timing_for",
]
