"""S3 Object Lock requests that apache-libcloud has no API for, sent on the driver's own connection.

libcloud 3.9 signs any request its S3 connection sends (SigV4 included), so retention is
read with a HEAD (``x-amz-object-lock-retain-until-date``), extended with PutObjectRetention
(``PUT ?retention``), versions are listed with ListObjectVersions (``GET ?versions``) and
the bucket's configuration read with GetObjectLockConfiguration (``GET ?object-lock``).
Every request that carries a body sends ``Content-MD5``: S3 refuses Object Lock PUTs
without it (moto refuses an object PUT with lock headers and no MD5 with a 400).

Facts measured against moto 5.2 (server mode) that shape the callers: a plain DELETE of a
locked object on a versioned bucket *succeeds* and only adds a delete marker (the point
would vanish from listings while its bytes stay), so deletes go by version id, which S3
refuses with 403 while the lock holds; moto lets a compliance lock be shortened, which
S3 refuses, so bkctl never asks for an earlier date. Nothing here imports libcloud: the
driver comes from :mod:`bkctl.store.objstore`, which does.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import IO, Any
from urllib.parse import quote
from xml.etree import ElementTree

from bkctl.model.state_times import end_of_utc_day

__all__ = ["LockSettings", "ObjectLockState", "LockConfiguration", "UnexpectedStatus", "content_md5", "file_md5",
           "head_lock", "put_retention", "version_ids", "delete_version", "lock_configuration",
           "create_locked_bucket"]

_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
_UNTIL = "x-amz-object-lock-retain-until-date"


def _wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class LockSettings:
    """How a store locks what it writes: ``days`` of ``mode`` retention on names under ``long_lived``.

    ``long_lived`` holds exact names and prefixes ending in '/'; everything else a
    repository writes (its locks, reclaim marks, run records) must stay deletable.
    """

    days: int
    mode: str
    long_lived: tuple[str, ...]
    clock: Callable[[], datetime] = field(default=_wall_clock)

    def covers(self, name: str) -> bool:
        return any(name == entry or (entry.endswith("/") and name.startswith(entry)) for entry in self.long_lived)

    def retain_until(self) -> datetime:
        return end_of_utc_day(self.clock() + timedelta(days=self.days))

    def headers(self, md5: str, at_least: datetime | None = None) -> dict[str, str]:
        """Retention headers: ``days`` from now, or ``at_least`` when that is later."""
        until = self.retain_until() if at_least is None else max(self.retain_until(), at_least)
        return {"x-amz-object-lock-mode": self.mode.upper(), _UNTIL: _s3_date(until), "Content-MD5": md5}


@dataclass(frozen=True)
class ObjectLockState:
    """What a HEAD says of one object: missing, or its current version and retention (None: none)."""

    exists: bool
    version: str | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class LockConfiguration:
    """A bucket's object lock: whether it is enabled, and the default retention it imposes, if any."""

    enabled: bool
    default_retention: str = ""


def content_md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()


def file_md5(file: IO[bytes]) -> str:
    """The Content-MD5 of a file from offset 0, read in 1 MiB pieces; leaves it at offset 0."""
    digest = hashlib.md5(usedforsecurity=False)
    file.seek(0)
    for piece in iter(lambda: file.read(1 << 20), b""):
        digest.update(piece)
    file.seek(0)
    return base64.b64encode(digest.digest()).decode()


def _object_path(container: str, name: str) -> str:
    return f"/{container}/{quote(name, safe='/')}"


def _s3_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _parse_date(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def head_lock(driver: Any, container: str, name: str) -> ObjectLockState:
    """HEAD the current version of ``name``: whether it exists, its version id, its retain-until date."""
    response = driver.connection.request(_object_path(container, name), method="HEAD")
    if response.status == 404:
        return ObjectLockState(exists=False)
    _expect(response, name)
    headers = {key.lower(): value for key, value in response.headers.items()}
    until = headers.get(_UNTIL)
    return ObjectLockState(exists=True, version=headers.get("x-amz-version-id"),
                           until=_parse_date(until) if until else None)


def put_retention(driver: Any, container: str, name: str, version: str | None, mode: str, until: datetime) -> None:
    """Set the retention of one version of ``name`` (PutObjectRetention); S3 refuses an earlier date."""
    body = (f'<Retention xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Mode>{mode.upper()}</Mode>'
            f"<RetainUntilDate>{_s3_date(until)}</RetainUntilDate></Retention>").encode()
    params = {"retention": ""} | ({"versionId": version} if version else {})
    response = driver.connection.request(_object_path(container, name), method="PUT", params=params, data=body,
                                         headers={"Content-MD5": content_md5(body),
                                                  "Content-Type": "application/xml"})
    _expect(response, name)


def version_ids(driver: Any, container: str, name: str) -> list[str]:
    """Every version and delete marker of exactly ``name`` (ListObjectVersions, all pages)."""
    found: list[str] = []
    params = {"versions": "", "prefix": name}
    while True:
        response = driver.connection.request(f"/{container}", method="GET", params=params)
        _expect(response, name)
        root = ElementTree.fromstring(response.body)
        for entry in [*root.iter(f"{_NS}Version"), *root.iter(f"{_NS}DeleteMarker")]:
            if entry.findtext(f"{_NS}Key") == name:
                found.append(entry.findtext(f"{_NS}VersionId") or "null")
        if root.findtext(f"{_NS}IsTruncated") != "true":
            return found
        params = {"versions": "", "prefix": name, "key-marker": root.findtext(f"{_NS}NextKeyMarker") or "",
                  "version-id-marker": root.findtext(f"{_NS}NextVersionIdMarker") or ""}


def delete_version(driver: Any, container: str, name: str, version: str) -> None:
    """Delete one version for good (S3 answers 403 while its retention holds)."""
    response = driver.connection.request(_object_path(container, name), method="DELETE",
                                         params={"versionId": version})
    if response.status != 404:
        _expect(response, name)


def lock_configuration(driver: Any, container: str) -> LockConfiguration | None:
    """The bucket's GetObjectLockConfiguration; None when the bucket does not exist."""
    response = driver.connection.request(f"/{container}", method="GET", params={"object-lock": ""})
    body = response.body if isinstance(response.body, str) else response.body.decode()
    if response.status == 404:
        return None if "NoSuchBucket" in body else LockConfiguration(enabled=False)
    _expect(response, container)
    root = ElementTree.fromstring(body)
    enabled = root.findtext(f"{_NS}ObjectLockEnabled") == "Enabled"
    retention = root.find(f"{_NS}Rule/{_NS}DefaultRetention")
    default = ""
    if retention is not None:
        amount = retention.findtext(f"{_NS}Days") or retention.findtext(f"{_NS}Years") or "?"
        unit = "days" if retention.findtext(f"{_NS}Days") else "years"
        default = f"{(retention.findtext(f'{_NS}Mode') or '').lower()} {amount} {unit}".strip()
    return LockConfiguration(enabled=enabled, default_retention=default)


def create_locked_bucket(driver: Any, container: str, location: str | None) -> int:
    """CreateBucket with object lock enabled (which also turns versioning on); returns the status."""
    body = b""
    if location:
        body = (f'<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                f"<LocationConstraint>{location}</LocationConstraint></CreateBucketConfiguration>").encode()
    response = driver.connection.request(f"/{container}", method="PUT", data=body,
                                         headers={"x-amz-bucket-object-lock-enabled": "true"})
    return int(response.status)


class UnexpectedStatus(Exception):
    """A status libcloud let through (400, 409) where the request needed success."""

    def __init__(self, status: int, name: str, body: str) -> None:
        super().__init__(f"request for {name} answered status code {status}: {body[:200]}")
        self.http_code = status


def _expect(response: Any, name: str) -> None:
    if not 200 <= int(response.status) <= 299:
        body = response.body if isinstance(response.body, str) else bytes(response.body or b"").decode(errors="replace")
        raise UnexpectedStatus(int(response.status), name, body)
