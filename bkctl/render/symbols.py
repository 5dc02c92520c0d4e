"""One symbol per action kind, shared by every human view (ASCII: CI logs mangle emoji)."""

from __future__ import annotations

from bkctl.model.plan import ActionKind

__all__ = ["SYMBOLS"]

SYMBOLS: dict[ActionKind, str] = {
    ActionKind.INIT_TARGET: "*",
    ActionKind.BACKUP: "+",
    ActionKind.COPY: "~",
    ActionKind.PRUNE: "-",
    ActionKind.EXTEND_LOCK: "^",
    ActionKind.REENCRYPT: "K",
    ActionKind.RECLAIM: "R",
    ActionKind.VERIFY: "!",
    ActionKind.DRILL: "D",
    ActionKind.LABEL_CARTRIDGE: "L",
    ActionKind.IMPORT_CARTRIDGE: "<",
    ActionKind.RECYCLE_CARTRIDGE: "%",
    ActionKind.EXPORT_CARTRIDGE: ">",
}
