"""``bkctl tape ...``: the library by hand (status, label, scan, export, import, copy back).

``apply`` already plans labels, recycling and the off-site rotation; these commands are
for an operator at the library: what is where, rebuild a lost catalog, send cartridges
to a vault or bring them back, copy a point from tape into a disk or vault target.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from bkctl import operations
from bkctl.cli.console import out
from bkctl.cli.options import ManifestOption
from bkctl.model.tape_state import TapeCartridge, TapeState
from bkctl.model.units import format_size
from bkctl.workspace import Workspace

__all__ = ["app"]

app = typer.Typer(help="Work the tape library: status, label, scan, export, import, copy back.",
                  no_args_is_help=True)

TargetArgument = Annotated[str, typer.Argument(help="The tape target.")]
BarcodesArgument = Annotated[list[str], typer.Argument(help="Cartridge barcodes.")]


@app.command("status")
def status_command(target: TargetArgument, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
                   manifest: ManifestOption = None) -> None:
    """Slots, drives, mail slots, and the state and place of every cartridge."""
    with Workspace.load(manifest) as workspace:
        state = operations.tape_status(workspace, target)
    if as_json:
        sys.stdout.write(json.dumps(state.model_dump(mode="json"), indent=2) + "\n")
        return
    out.print(f"Library {escape(target)}: {state.media}, {len(state.cartridges)} cartridges of "
              f"{format_size(state.capacity)}, {len(state.slots)} slots, {len(state.drives)} drive(s), "
              f"{len(state.mail_slots)} mail slot(s)")
    out.print(f"Drives: {_places(state.drives)}")
    out.print(f"Mail slots: {_places(state.mail_slots)}")
    out.print(_table(state))
    away = [c for c in state.cartridges if c.offsite]
    if away:
        out.print(f"{len(away)} cartridge(s) off-site: " + ", ".join(f"{c.barcode} ({c.location})" for c in away))


def _places(places: tuple[str | None, ...]) -> str:
    return ", ".join(f"{n + 1}: {b or 'empty'}" for n, b in enumerate(places)) or "none"


def _table(state: TapeState) -> Table:
    table = Table("location", "barcode", "kind", "state", "pool", "media set", "used", "points", "loads",
                  "last written")
    points = {c.barcode: sum(1 for p in state.placements if c.barcode in p.cartridges and not p.expired)
              for c in state.cartridges}
    for cartridge in sorted(state.cartridges, key=_order):
        state_text = cartridge.state + (" (dirty)" if cartridge.dirty else "")
        table.add_row(cartridge.location, cartridge.barcode, "WORM" if cartridge.worm else "data", state_text,
                      cartridge.pool or "-", (cartridge.media_set or "-")[:8], format_size(cartridge.used),
                      str(points[cartridge.barcode]) if state.media_sets else "?", str(cartridge.loads),
                      cartridge.last_written.strftime("%Y-%m-%d %H:%M") if cartridge.last_written else "-")
    return table


def _order(cartridge: TapeCartridge) -> tuple[int, int, str]:
    kind, _, number = cartridge.location.rpartition(" ")
    rank = {"drive": 0, "slot": 1, "mail slot": 2}.get(kind, 3)
    return rank, int(number) if number.isdigit() else 0, cartridge.barcode


@app.command("label")
def label_command(target: TargetArgument, barcodes: Annotated[list[str] | None, typer.Argument(
        help="Cartridges to label (default: every blank one in the library).")] = None,
                  manifest: ManifestOption = None) -> None:
    """Write volume labels on blank cartridges (they become scratch)."""
    with Workspace.load(manifest) as workspace:
        done = operations.tape_label(workspace, target, barcodes or None)
    out.print(f"{len(done)} cartridge(s) labelled" + (f": {', '.join(done)}" if done else ""))


@app.command("scan")
def scan_command(target: TargetArgument, full: Annotated[bool, typer.Option(
        "--full", help="Read every header and end record, not only each cartridge's last catalog.")] = False,
                 manifest: ManifestOption = None) -> None:
    """Rebuild the catalog (and lost keys) from the cartridges alone."""
    with Workspace.load(manifest) as workspace:
        result = operations.tape_scan(workspace, target, full=full)
    out.print(f"catalog rebuilt: {result.media_sets} media set(s), {result.points} recovery point(s) from "
              f"{result.cartridges_read} cartridge(s), {result.blocks_read} block(s) read")
    if result.skipped:
        out.print(f"skipped (off-site): {', '.join(result.skipped)}")


@app.command("export")
def export_command(target: TargetArgument, barcodes: BarcodesArgument,
                   vault: Annotated[str | None, typer.Option("--vault", help="Vault to send them to.")] = None,
                   manifest: ManifestOption = None) -> None:
    """Send cartridges to an off-site vault (through the mail slots, a load at a time)."""
    with Workspace.load(manifest) as workspace:
        moved, where = operations.tape_export(workspace, target, barcodes, vault)
    out.print(f"{len(moved)} cartridge(s) exported to vault '{escape(where)}': {', '.join(moved)}")


@app.command("import")
def import_command(target: TargetArgument, barcodes: BarcodesArgument, manifest: ManifestOption = None) -> None:
    """Bring cartridges back from their vault into free slots."""
    with Workspace.load(manifest) as workspace:
        moved = operations.tape_import(workspace, target, barcodes)
    out.print(f"{len(moved)} cartridge(s) imported: {', '.join(moved)}")


@app.command("copy")
def copy_command(target: TargetArgument, points: Annotated[list[str], typer.Argument(
        help="Recovery point ids (or unique prefixes) on tape.")],
                 to: Annotated[str, typer.Option("--to", help="A disk or vault target to copy them into.")],
                 manifest: ManifestOption = None) -> None:
    """Copy points from tape back into a disk or vault target (same ids), one cartridge pass each."""
    with Workspace.load(manifest) as workspace:
        result = operations.copy_points(workspace, target, to, points)
    out.print(f"{result.points_copied} recovery point(s) copied from '{escape(target)}' into '{escape(to)}' "
              f"({result.blobs_new} new blobs; {result.blobs_present} point(s) already there)")
