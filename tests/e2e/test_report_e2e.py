"""``bkctl report`` on a real estate: a disk, a vault on Azurite, and the disk's replica in it.

The page renders in headless Chromium with no console errors and the estate's numbers in
its DOM; the Markdown and JSON forms carry the same numbers, from run records that live
in the targets (a second machine, with another cache, sees the same history).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from chromium import render_page
from cli import Runner
from objstore import ObjectServer, azurite  # noqa: F401

MANIFEST = """\
version: 1
encryption:
  passphrase_env: BKCTL_PASSPHRASE
targets:
  local: {{type: disk, path: repo, replica: replica}}
  vault:
    type: vault
    provider: azure_blobs
    container: {container}
    prefix: primary/
    key_env: AZ_KEY
    secret_env: AZ_SECRET
    host: 127.0.0.1
    port: {port}
    secure: false
    pricing: azure-cool
  replica:
    type: vault
    provider: azure_blobs
    container: {container}
    prefix: replica/
    key_env: AZ_KEY
    secret_env: AZ_SECRET
    host: 127.0.0.1
    port: {port}
    secure: false
    placement: {{location: dc2}}
policies:
  every-8h:
    schedule: {{every: 8h}}
    retention: {{last: 3}}
    drill: {{every: 30d, rto: 1h}}
workloads:
  docs: {{type: files, paths: [data], policy: every-8h, targets: [local]}}
  notes: {{type: files, paths: [data/sub], policy: every-8h, targets: [vault]}}
"""


def test_report_of_a_disk_a_vault_and_a_replica_renders_in_chromium(
        bkctl: Runner, project: Path, azurite: ObjectServer, tmp_path: Path) -> None:  # noqa: F811
    bkctl.env.update(AZ_KEY=azurite.key, AZ_SECRET=azurite.secret)
    (project / "bkctl.yaml").write_text(MANIFEST.format(container=f"bkctl-{uuid.uuid4().hex[:12]}",
                                                         port=azurite.port))
    for _ in range(2):  # backups and copies, then the drills they made due
        applied = bkctl("apply", "--auto-approve")
        assert applied.returncode == 0, applied.stdout + applied.stderr
    written = bkctl("report", "--format", "html", "--out", "report.html")
    assert written.returncode == 0, written.stderr
    rendered = render_page(project / "report.html", tmp_path / "report.png")
    assert rendered.console == []
    assert '<b id="summary-workloads">2</b>' in rendered.dom
    assert '<b id="summary-compliant" class="ok">3</b>' in rendered.dom  # docs@local, docs@replica, notes@vault
    for target in ("local", "vault", "replica"):
        assert f'<figure data-target="{target}">' in rendered.dom
    assert rendered.screenshot.read_bytes().startswith(b"\x89PNG")

    other_machine = {"BKCTL_CACHE_DIR": str(tmp_path / "another-cache")}
    report = json.loads(bkctl("report", "--format", "json", extra_env=other_machine).stdout)
    drills = {(r["workload"], r["target"]): r["drill_seconds"] for r in report["rows"]}
    assert drills[("docs", "local")] > 0 and drills[("notes", "vault")] > 0
    assert {c["target"] for c in report["plan"]["costs"]} == {"local", "replica", "vault"}
    markdown = bkctl("report", "--format", "markdown").stdout
    assert markdown.startswith("### bkctl report") and "| docs | replica |" in markdown
