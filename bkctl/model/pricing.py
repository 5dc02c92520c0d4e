"""Prices of storage per target, and the plan's cost estimate (Infracost's idea for backups).

A target may name a shipped price list (``pricing: azure-cool``) or give its own prices.
Targets without ``pricing`` cost nothing in estimates (the ``none`` list): a disk you
already own has no monthly bill. The shipped lists are public list prices of one region
(USD, 2025, locally redundant), for orientation only; give your contract's prices instead.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from bkctl.model.base import Strict, described

__all__ = ["Pricing", "PricingPreset", "PRICING_PRESETS", "TargetCost", "GIB"]

GIB = 1 << 30


class Pricing(Strict):
    """Prices of one storage class."""

    storage_gib_month: float = described("Price of one GiB stored for one month.", 0.01, default=0.0, ge=0)
    requests_10k: float = described("Price of 10,000 write requests (each stored object is one).", 0.1,
                                    default=0.0, ge=0)
    egress_gib: float = described("Price of one GiB read out (copies into a replica elsewhere).", 0.02,
                                  default=0.0, ge=0)
    minimum_days: int = described(
        "Minimum storage duration: data deleted younger than this is billed as if kept this long.", 30,
        default=0, ge=0,
    )
    currency: str = described("Currency of the prices, shown beside estimates.", "USD", default="USD")


PricingPreset = Literal["none", "azure-hot", "azure-cool", "azure-cold", "azure-archive", "s3-standard",
                        "s3-standard-ia", "s3-glacier-flexible", "s3-glacier-deep-archive"]

PRICING_PRESETS: dict[str, Pricing] = {
    "none": Pricing(),
    "azure-hot": Pricing(storage_gib_month=0.018, requests_10k=0.065, egress_gib=0.087),
    "azure-cool": Pricing(storage_gib_month=0.01, requests_10k=0.13, egress_gib=0.087, minimum_days=30),
    "azure-cold": Pricing(storage_gib_month=0.0036, requests_10k=0.234, egress_gib=0.087, minimum_days=90),
    "azure-archive": Pricing(storage_gib_month=0.00099, requests_10k=0.13, egress_gib=0.087, minimum_days=180),
    "s3-standard": Pricing(storage_gib_month=0.023, requests_10k=0.05, egress_gib=0.09),
    "s3-standard-ia": Pricing(storage_gib_month=0.0125, requests_10k=0.1, egress_gib=0.09, minimum_days=30),
    "s3-glacier-flexible": Pricing(storage_gib_month=0.0036, requests_10k=0.3, egress_gib=0.09, minimum_days=90),
    "s3-glacier-deep-archive": Pricing(storage_gib_month=0.00099, requests_10k=0.5, egress_gib=0.09,
                                       minimum_days=180),
}


class TargetCost(BaseModel):
    """One target's storage and monthly cost: what it holds now, and next month as planned.

    ``stored_bytes_now`` is what the target's points added (after dedup and compression);
    ``stored_bytes_next_month`` projects the schedule's backups for 30 days at the recent
    points' average size and applies retention at the end of that month.
    ``monthly_cost_before`` prices today's bytes; ``monthly_cost_after`` prices next month's
    bytes plus the requests and egress of its backups and copies.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    target: str
    currency: str = "USD"
    stored_bytes_now: int
    stored_bytes_next_month: int
    backups_next_month: int = 0
    monthly_cost_before: float
    monthly_cost_after: float
    storage_cost: float = 0.0
    request_cost: float = 0.0
    egress_cost: float = 0.0
    early_deletion_cost: float = 0.0
