"""Load a manifest (file or directory), resolve policies, and report every problem at once."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bkctl.errors import Diagnostic, ManifestError
from bkctl.manifest.discovery import library_dir, manifest_files, policy_dirs
from bkctl.manifest.errors import diagnostics_from_validation, suggest
from bkctl.manifest.limits import size_diagnostics
from bkctl.manifest.merge import Merged, merge_documents
from bkctl.manifest.source import Document, parse_yaml
from bkctl.model import Manifest, Policy

__all__ = ["LoadedManifest", "load_manifest", "load_policy_file", "available_policies"]


@dataclass(frozen=True)
class LoadedManifest:
    """A valid manifest plus what the rest of bkctl needs to know about its files."""

    manifest: Manifest
    path: Path
    files: tuple[Path, ...]
    digest: str
    base_dirs: dict[tuple[str, str], Path]

    def resolve_path(self, section: str, name: str, value: str) -> Path:
        """A path from the manifest, made absolute relative to the file that wrote it."""
        path = Path(value).expanduser()
        if path.is_absolute():
            return path
        return (self.base_dirs.get((section, name), self.path.parent) / path).resolve()


def _display(path: Path) -> str:
    return str(path)


def load_manifest(path: Path) -> LoadedManifest:
    """Parse, merge, resolve and validate; raise ManifestError listing every diagnostic."""
    files = manifest_files(path)
    documents: list[Document] = []
    diagnostics: list[Diagnostic] = size_diagnostics(files)
    if diagnostics:
        raise ManifestError(diagnostics, context=str(path))
    for file in files:
        parsed = parse_yaml(file, _display(file))
        if isinstance(parsed, Diagnostic):
            diagnostics.append(parsed)
        else:
            documents.append(parsed)
    if diagnostics:  # a file that does not parse would make every other check misleading
        raise ManifestError(diagnostics, context=str(path))
    merged = merge_documents(documents, [Path(d.file).resolve().parent for d in documents])
    diagnostics.extend(merged.diagnostics)
    if all(d.data is None for d in documents) and not diagnostics:
        raise ManifestError([Diagnostic(_display(files[0]), 1, 1, "", "the manifest is empty",
                                        "start with 'version: 1' and add targets, policies and workloads")],
                            context=str(path))
    known_policies = _resolve_policies(merged, path, diagnostics)
    diagnostics.extend(_check_references(merged, known_policies))
    manifest = None
    try:
        manifest = Manifest.model_validate(merged.data)
    except ValidationError as exc:
        diagnostics.extend(diagnostics_from_validation(exc, merged))
    if manifest is not None:
        diagnostics.extend(_check_encryption(manifest, merged))
    if diagnostics or manifest is None:
        raise ManifestError(_sorted(diagnostics), context=str(path))
    base_dirs = {o.prefix[:2]: o.base_dir for o in merged.origins if len(o.prefix) == 2}
    return LoadedManifest(manifest, path, tuple(files), _digest(manifest), base_dirs)  # type: ignore[arg-type]


def _sorted(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    unique = list(dict.fromkeys(diagnostics))
    return sorted(unique, key=lambda d: (d.file, d.line, d.column, d.message))


def _digest(manifest: Manifest) -> str:
    """A digest of the effective manifest: comments and layout do not change it."""
    canonical = json.dumps(manifest.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def available_policies(path: Path) -> dict[str, Path]:
    """Policy files reachable from a manifest: local ``policies/`` first, then the library."""
    found: dict[str, Path] = {}
    for folder in [*policy_dirs(path), library_dir()]:
        if not folder.is_dir():
            continue
        for file in sorted(folder.iterdir()):
            if file.suffix in (".yaml", ".yml"):
                found.setdefault(file.stem, file)
    return found


def load_policy_file(file: Path) -> Policy:
    """Load one ``policies/NAME.yaml`` file on its own (for ``bkctl policy simulate``)."""
    merged = Merged()
    parsed = parse_yaml(file, _display(file))
    if isinstance(parsed, Diagnostic):
        raise ManifestError([parsed], context=str(file))
    merged.add_policy(file.stem, parsed, file.parent)
    try:
        return Policy.model_validate(parsed.data)
    except ValidationError as exc:
        wrapped = ValidationError.from_exception_data(
            exc.title,
            [{**e, "loc": ("policies", file.stem, *e["loc"])} for e in exc.errors()],  # type: ignore[misc,typeddict-unknown-key]
        )
        raise ManifestError(diagnostics_from_validation(wrapped, merged), context=str(file)) from None


def _resolve_policies(merged: Merged, path: Path, diagnostics: list[Diagnostic]) -> set[str]:
    """Bring referenced policies from ``policies/`` folders and the library into the data."""
    available = available_policies(path)
    defined = merged.data.get("policies", {})
    if not isinstance(defined, dict):  # the model reports the wrong shape; nothing to add to
        return set(available)
    for name in sorted(_referenced_policies(merged.data)):
        if name in defined or name not in available:
            continue
        parsed = parse_yaml(available[name], _display(available[name]))
        if isinstance(parsed, Diagnostic):
            diagnostics.append(parsed)
            continue
        merged.add_policy(name, parsed, available[name].parent)
    return set(defined) | set(available)


def _referenced_policies(data: dict[str, Any]) -> set[str]:
    """Policies named by workloads and by targets' ``replica_policy``."""
    found: set[str] = set()
    for section, field in (("workloads", "policy"), ("targets", "replica_policy")):
        bodies = data.get(section)
        for body in bodies.values() if isinstance(bodies, dict) else []:
            if isinstance(body, dict) and isinstance(body.get(field), str):
                found.add(body[field])
    return found


def _check_references(merged: Merged, known_policies: set[str]) -> list[Diagnostic]:
    """Workload -> policy and workload -> target references, with 'did you mean'."""
    result: list[Diagnostic] = []
    targets = merged.data.get("targets")
    target_names = set(targets) if isinstance(targets, dict) else set()
    workloads = merged.data.get("workloads")
    for name, body in (workloads.items() if isinstance(workloads, dict) else []):
        if not isinstance(body, dict):
            continue
        policy = body.get("policy")
        if isinstance(policy, str) and policy not in known_policies:
            result.append(_unknown(merged, ("workloads", name, "policy"), "policy", policy, known_policies))
        listed = body.get("targets")
        for index, target in enumerate(listed if isinstance(listed, list) else []):
            if isinstance(target, str) and target not in target_names:
                result.append(_unknown(merged, ("workloads", name, "targets", index), "target", target, target_names))
    result.extend(_check_replicas(merged, targets if isinstance(targets, dict) else {}, known_policies))
    result.extend(_check_copy_from(merged, targets if isinstance(targets, dict) else {}))
    return result


_REPOSITORY_TYPES = ("disk", "vault")


def _check_replicas(merged: Merged, targets: dict[str, Any], known_policies: set[str]) -> list[Diagnostic]:
    """Target -> replica references: known, a repository on both ends, not itself, no cycle.

    A cycle (a -> b -> a) would copy points back and forth for ever, so it is refused
    rather than detected at apply time.
    """
    result: list[Diagnostic] = []
    names = set(targets)
    replicas = {n: b["replica"] for n, b in targets.items()
                if isinstance(b, dict) and isinstance(b.get("replica"), str)}
    for name, replica in sorted(replicas.items()):
        path = ("targets", name, "replica")
        kind = targets[name].get("type")
        if replica not in names:
            result.append(_unknown(merged, path, "target", replica, names - {name}))
        elif replica == name:
            result.append(_replica_problem(merged, path, f"target '{name}' cannot be its own replica",
                                           "name another disk or vault target"))
        elif kind not in _REPOSITORY_TYPES or _type_of(targets[replica]) not in _REPOSITORY_TYPES:
            result.append(_replica_problem(
                merged, path, f"replica '{replica}' of target '{name}' is not possible: copies go "
                f"between disk and vault targets only", "use a disk or vault target on both ends"))
        elif _in_cycle(name, replicas):
            result.append(_replica_problem(
                merged, path, f"replicas form a cycle: {' -> '.join(_chain(name, replicas))}",
                "a replica must not lead back to the target it copies"))
        policy = targets[name].get("replica_policy")
        if isinstance(policy, str) and policy not in known_policies:
            result.append(_unknown(merged, ("targets", name, "replica_policy"), "policy", policy, known_policies))
    return result


def _check_copy_from(merged: Merged, targets: dict[str, Any]) -> list[Diagnostic]:
    """Tape ``copy_from``: a known disk or vault target (tape reads points from a repository)."""
    result: list[Diagnostic] = []
    for name, body in sorted(targets.items()):
        source = body.get("copy_from") if isinstance(body, dict) else None
        if not isinstance(source, str):
            continue
        path = ("targets", name, "copy_from")
        if source not in targets:
            result.append(_unknown(merged, path, "target", source, set(targets) - {name}))
        elif _type_of(targets[source]) not in _REPOSITORY_TYPES:
            result.append(_replica_problem(
                merged, path, f"target '{name}' cannot copy from '{source}': tape copies points from a "
                "disk or vault target", "name a disk or vault target"))
    return result


def _type_of(body: object) -> object:
    return body.get("type") if isinstance(body, dict) else None


def _chain(start: str, replicas: dict[str, str]) -> list[str]:
    """``start`` and the replicas it leads to, stopping at the first repeat."""
    chain = [start]
    while chain[-1] in replicas and replicas[chain[-1]] not in chain:
        chain.append(replicas[chain[-1]])
    if chain[-1] in replicas:
        chain.append(replicas[chain[-1]])
    return chain


def _in_cycle(start: str, replicas: dict[str, str]) -> bool:
    chain = _chain(start, replicas)
    return chain[-1] == start and len(chain) > 1


def _replica_problem(merged: Merged, path: tuple[Any, ...], message: str, hint: str) -> Diagnostic:
    from bkctl.manifest.errors import dotted

    location = merged.locate(path)
    return Diagnostic(location.file, location.line, location.column, dotted(path), message, hint)


def _unknown(merged: Merged, path: tuple[Any, ...], kind: str, value: str, choices: set[str]) -> Diagnostic:
    from bkctl.manifest.errors import dotted

    location = merged.locate(path)
    near = suggest(value, choices)
    plural = "policies" if kind == "policy" else f"{kind}s"
    valid = f"defined {plural}: {', '.join(sorted(choices))}" if choices else f"no {plural} are defined"
    return Diagnostic(location.file, location.line, location.column, dotted(path),
                      f"unknown {kind} '{value}'", " ".join(filter(None, [near, valid])))


def _check_encryption(manifest: Manifest, merged: Merged) -> list[Diagnostic]:
    """Disk and vault repositories are always encrypted, so each needs a passphrase source."""
    result = []
    for name, target in manifest.targets.items():
        if target.type in ("disk", "vault", "tape") and target.encryption is None and manifest.encryption is None:
            location = merged.locate(("targets", name), key=True)
            result.append(Diagnostic(location.file, location.line, location.column, f"targets.{name}",
                                     f"target '{name}' has no passphrase source (repositories are always encrypted)",
                                     "add top-level 'encryption: {passphrase_env: BKCTL_PASSPHRASE}' "
                                     "or an 'encryption' block on the target"))
    return result
