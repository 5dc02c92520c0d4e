"""The digest of a workload's definition: what would be backed up, not how often or where.

Each recovery point records the digest of the definition it was made from; the planner
compares it with today's, so that a changed ``paths:`` shows up in the next plan as a
backup with reason ``definition-changed``, as Terraform shows an update. Pure: the same
function runs when the point is made (bkctl.workspace) and when a plan is made.
"""

from __future__ import annotations

import hashlib
import json

from pydantic import BaseModel

__all__ = ["DEFINITION_FIELDS", "definition_digest"]

DEFINITION_FIELDS = frozenset({
    "type",
    # files
    "paths", "include", "exclude", "one_file_system",
    # sqlite, image
    "path",
    # postgres, mariadb: which server and database, and what of it
    "dsn", "server", "port", "database", "globals",
    # command: what runs and what the item is called
    "command", "filename",
    # every workload: how the data is stored
    "compression",
})
"""The fields that change what a point holds. An allow-list, not a deny-list: a field added
to a workload later changes no digest (and so starts no backup of every workload on upgrade)
until it is named here. Left out on purpose: policy, targets, description, hooks, host
(whose points they are), user and password_env (who reads, not what is read) and timeouts."""


def definition_digest(workload: BaseModel) -> str:
    """sha256 of the canonical JSON (sorted keys, no spaces) of the definition fields."""
    chosen = {name for name in DEFINITION_FIELDS if name in type(workload).model_fields}
    data = workload.model_dump(mode="json", include=chosen)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
