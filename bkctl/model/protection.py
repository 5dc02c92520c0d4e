"""The 3-2-1-1-0 rule as data: where a target's copies live, and what a workload requires.

A target declares (or takes by default) its media class, its location (a site name) and
whether what it holds is immutable (object lock, WORM, a write-once share). A manifest or
workload may require ``protection: 3-2-1-1-0`` (copies, media, off-site, immutable or
offline, verify errors) or a prefix of it such as ``3-2-1``. The planner checks the rule
against what the targets really hold (bkctl/planner/protection.py).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints

from bkctl.model.base import Strict, described

__all__ = ["MediaClass", "Placement", "ProtectionRule", "PROTECTION_PATTERN", "HOME_LOCATION",
           "parse_rule", "RuleNumbers", "ProtectionLetter", "ProtectionVerdict"]

MediaClass = Literal["disk", "object", "tape"]

HOME_LOCATION = "local"
"""The site a manifest's workloads run at; a copy elsewhere is off-site."""

PROTECTION_PATTERN = r"^[0-9]+-[0-9]+-[0-9]+(-[0-9]+(-0)?)?$"

ProtectionRule = Annotated[str, StringConstraints(pattern=PROTECTION_PATTERN)]
"""``copies-media-offsite[-immutable[-0]]``: ``3-2-1-1-0``, ``3-2-1``, ``4-2-2-1``."""


class Placement(Strict):
    """Where a target's copies live, for the 3-2-1-1-0 rule; unset fields take the defaults."""

    media: MediaClass | None = described(
        "Media class: disk, object (object storage) or tape. Default: disk for disk targets and "
        "vaults with the 'local' provider, object for other vaults, tape for tape targets.",
        "object",
        default=None,
    )
    location: str | None = described(
        f"Site name. Copies at a site other than '{HOME_LOCATION}' count as off-site. Default: "
        f"'{HOME_LOCATION}' for disk, tape and 'local'-provider vaults, the provider's name for other vaults.",
        "eu-west",
        default=None,
    )
    immutable: bool = described(
        "Whether recovery points here cannot be changed or deleted before they expire (object lock, "
        "WORM media, a write-once share). Exported tape cartridges count as offline on their own.",
        True,
        default=False,
    )


class RuleNumbers(Strict):
    """A protection rule read into its numbers; ``None`` where the rule leaves a letter out."""

    copies: int
    media: int
    offsite: int
    immutable: int | None = None
    verify_errors: bool = False


def parse_rule(rule: str) -> RuleNumbers:
    """``3-2-1-1-0`` -> copies 3, media 2, off-site 1, immutable 1, verify errors checked."""
    numbers = [int(part) for part in rule.split("-")]
    return RuleNumbers(copies=numbers[0], media=numbers[1], offsite=numbers[2],
                       immutable=numbers[3] if len(numbers) > 3 else None, verify_errors=len(numbers) > 4)


class ProtectionLetter(Strict):
    """One letter of a protection rule as the actual copies meet it or not."""

    letter: str = described("The letter's name: copies, media, off-site, immutable or verify-errors.", "copies")
    required: int = described("What the rule asks (for verify-errors: 0 errors).", 3)
    found: int = described("What the actual copies give (for verify-errors: copies with errors or unverified).", 2)
    ok: bool = described("Whether the letter is met.", False)
    why: str = described("The copies behind the count, in words.", "production, local")


class ProtectionVerdict(Strict):
    """A workload's protection rule checked against the copies that really exist."""

    workload: str = described("The workload.", "docs")
    rule: str = described("The rule required.", "3-2-1-1-0")
    letters: tuple[ProtectionLetter, ...] = described("Each letter of the rule.", [])

    @property
    def ok(self) -> bool:
        return all(letter.ok for letter in self.letters)

    def failing(self) -> list[ProtectionLetter]:
        return [letter for letter in self.letters if not letter.ok]
