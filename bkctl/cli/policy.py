"""``bkctl policy simulate``: which points a policy keeps over time, and why."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bkctl.cli import console
from bkctl.cli.options import JsonOption, ManifestOption, parse_time
from bkctl.errors import NotFoundError, UsageError
from bkctl.manifest import available_policies, find_manifest, load_manifest, load_policy_file
from bkctl.model import Policy, parse_duration
from bkctl.planner import generate_points, simulate_policy

__all__ = ["app"]

app = typer.Typer(help="Work with retention policies.", no_args_is_help=True)


def _policy(name: str, manifest: Path | None) -> Policy:
    candidate = Path(name)
    if candidate.suffix in (".yaml", ".yml") and candidate.is_file():
        return load_policy_file(candidate)
    try:
        manifest_path = find_manifest(manifest)
    except NotFoundError:
        if manifest is not None:
            raise
        manifest_path = None
    if manifest_path is not None:
        loaded = load_manifest(manifest_path)
        if name in loaded.manifest.policies:
            return loaded.manifest.policies[name]
    found = available_policies(manifest_path or Path("bkctl.yaml"))
    if name not in found:
        raise NotFoundError(f"no policy named '{name}'", hint=f"known policies: {', '.join(sorted(found))}")
    return load_policy_file(found[name])


def _read_points(path: Path) -> list[datetime]:
    try:
        lines = path.read_text().splitlines()
    except OSError as error:
        raise NotFoundError(f"cannot read {path}: {error.strerror}") from None
    return [parse_time(line, option=f"{path}:{n}") for n, line in enumerate(lines, 1) if line.strip()]


@app.command("simulate")
def simulate(
    name: Annotated[str, typer.Argument(help="Policy name (manifest, policies/, library) or a policy file.")],
    every: Annotated[
        str | None, typer.Option("--every", help="Interval between simulated points (default: the schedule's).")
    ] = None,
    span: Annotated[str, typer.Option("--for", help="How long to simulate.")] = "1y",
    points: Annotated[Path | None, typer.Option("--points", help="File with one ISO-8601 time per line.")] = None,
    start: Annotated[str, typer.Option("--start", help="Time of the first simulated point.")] = "2026-01-01T00:00:00Z",
    as_json: JsonOption = False,
    show_all: Annotated[bool, typer.Option("--all", help="Also list pruned points.")] = False,
    manifest: ManifestOption = None,
) -> None:
    """Show which points the policy keeps at the end of a simulated history."""
    console.use_json(as_json)
    policy = _policy(name, manifest)
    if points is not None:
        times = _read_points(points)
    else:
        try:
            step = parse_duration(every) if every else None
            length = parse_duration(span)
        except ValueError as error:
            raise UsageError(str(error)) from None
        if step is None:
            from bkctl.planner import interval_of

            step_delta = interval_of(policy.schedule, parse_time(start, option="--start"))
        else:
            step_delta = step.fixed()
        times = generate_points(parse_time(start, option="--start"), step_delta, length)
    if len(times) > 500_000:
        raise UsageError(f"{len(times)} points is too many to simulate", hint="use a longer --every or shorter --for")
    verdicts = simulate_policy(policy, times)
    kept = [v for v in verdicts if v[1]]
    if as_json:
        console.emit_json({"points": len(verdicts), "kept": len(kept), "verdicts": [
            {"time": t.astimezone(UTC).isoformat(), "kept": k, "reasons": list(r)} for t, k, r in verdicts
        ]})
        return
    table = Table("time (UTC)", "kept", "why")
    for moment, keep, reasons in verdicts:
        if keep or show_all:
            when = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
            table.add_row(when, "yes" if keep else "no", ", ".join(reasons))
    console.say(table)
    console.summary(f"{len(kept)} of {len(verdicts)} points kept")
