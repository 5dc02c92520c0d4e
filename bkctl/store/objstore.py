"""A BlobStore in an object-storage container, through apache-libcloud.

Every operation is one or two HTTP requests and every library error is translated here,
at the adapter edge, into the bkctl hierarchy: a missing object is
:class:`~bkctl.errors.NotFoundError`, rejected credentials are a permanent
:class:`~bkctl.errors.CredentialsRejectedError`, and anything that may pass (refused
connections, timeouts, 5xx, 429) is a :class:`~bkctl.errors.TransientStorageError` that
:class:`~bkctl.store.retry.RetryingStore` retries. Facts behind the choices below were
measured with libcloud 3.9 against Azurite and moto (docs/vault.md).
"""

from __future__ import annotations

import inspect
import io
import os
import re
import threading
from collections.abc import Callable, Iterator
from http.client import HTTPException
from typing import IO, Any

from libcloud.common.types import InvalidCredsError, LibcloudError
from libcloud.storage.base import Container, Object, StorageDriver
from libcloud.storage.providers import get_driver
from libcloud.storage.types import ContainerDoesNotExistError, ContainerError, ObjectDoesNotExistError
from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import RequestException, Timeout

from bkctl.errors import (
    BkctlError,
    CredentialsMissingError,
    CredentialsRejectedError,
    NotFoundError,
    TargetUnreachableError,
    TransientStorageError,
)
from bkctl.store.base import validate_name, validate_prefix

__all__ = ["LibcloudStore", "DriverFactory", "ContainerMissingError", "UnknownProviderError", "driver_factory",
           "env_credentials", "Credentials"]

DriverFactory = Callable[[], StorageDriver]

# libcloud reports most HTTP failures as a bare LibcloudError with the status only in the
# text ("Unexpected status code: 403", "... Status code: 404.", "status_code=404").
_STATUS_IN_TEXT = re.compile(r"status[ _]code[:=]?\s*(\d{3})", re.IGNORECASE)
_RETRYABLE_STATUS = {408, 425, 429}


class ContainerMissingError(TargetUnreachableError):
    """The bucket or container does not exist: permanent until someone creates it."""

    reference = "container-missing"


class UnknownProviderError(TargetUnreachableError):
    """The manifest names a provider that apache-libcloud does not have."""

    reference = "vault-provider-unknown"


Credentials = Callable[[], tuple[str, str]]


def env_credentials(key_env: str, secret_env: str, owner: str) -> Credentials:
    """Read the key and secret from the named variables when first needed, so a target
    without them still observes (as unreachable, naming the variable) instead of
    stopping a whole plan."""

    def read() -> tuple[str, str]:
        values = []
        for variable in (key_env, secret_env):
            value = os.environ.get(variable, "")
            if not value:
                raise CredentialsMissingError(f"environment variable {variable} is not set or empty",
                                              context=owner, hint=f"export {variable}=... before running bkctl")
            values.append(value)
        return values[0], values[1]

    return read


def driver_factory(provider: str, credentials: Credentials, *, host: str | None = None, port: int | None = None,
                   secure: bool = True, region: str | None = None, timeout_seconds: float = 60) -> DriverFactory:
    """A maker of drivers for ``provider`` (a libcloud name such as 'azure_blobs' or 's3').

    Only the arguments that are set reach the driver, so each provider keeps its defaults.
    Azure with a host that is not an Azure domain switches libcloud to path-style
    (emulator) URLs by itself. The timeout bounds a stalled request; 60 s leaves room for
    a 16 MiB pack over a slow uplink.
    """
    try:
        driver_class = get_driver(provider)
    except (AttributeError, KeyError, ValueError) as exc:
        raise UnknownProviderError(f"unknown storage provider {provider!r}",
                                   hint="use an apache-libcloud provider name such as azure_blobs or s3") from exc
    options: dict[str, Any] = {"secure": secure, "timeout": timeout_seconds}
    for option, value in (("host", host), ("port", port), ("region", region)):
        if value is not None:
            options[option] = value

    def connect() -> StorageDriver:
        key, secret = credentials()
        return driver_class(key, secret, **options)

    return connect


def _skip_unchecked_upload_hash(driver: StorageDriver) -> None:
    """Spare S3 stream uploads the second read of every object libcloud makes after sending it.

    ``_upload_object`` re-reads the stream in 8 KB pieces to compute an MD5, and S3's
    ``upload_object_via_stream`` passes ``verify_hash=False``, so the digest is thrown away:
    a pass over every pack for nothing (about 1 CPU-second per GiB uploaded, measured in
    bench/vault_throughput.py). Packs are authenticated by AES-GCM, which is the check that
    counts. Only the length is kept (libcloud reports it as the object's size). Drivers
    without the hook (another libcloud version) keep their own behaviour. A file-path
    ``upload_object`` with its hash check on would now fail loudly (no digest to compare);
    bkctl never calls it.
    """
    if not callable(getattr(driver, "_hash_buffered_stream", None)):
        return

    def length_only(stream: Any, hasher: Any, blocksize: int = 65536) -> tuple[str, int]:
        return "", stream.seek(0, io.SEEK_END) if hasattr(stream, "seek") else 0

    driver._hash_buffered_stream = length_only  # type: ignore[method-assign]


def _upload_options(driver: StorageDriver) -> dict[str, Any]:
    """``verify_hash=False`` for the drivers whose stream upload takes it (Azure).

    Azure's upload hashes every block for its ``Content-MD5``, which the service checks,
    and then the whole object again, only to set the blob's MD5 property: nothing reads it
    (bkctl authenticates every object it reads with AES-GCM), and it cost about 0.5
    CPU-seconds of a 1 GiB backup into Azurite (5.1-5.4 -> 4.6-4.8 s). S3's stream upload
    has no such argument and no such pass.
    """
    try:
        parameters = inspect.signature(driver.upload_object_via_stream).parameters
    except (TypeError, ValueError):
        return {}
    return {"verify_hash": False} if "verify_hash" in parameters else {}


class LibcloudStore:
    """Objects are ``<prefix>/<name>`` in one container of one libcloud provider.

    ``connect`` returns a new driver. libcloud connections keep per-request state and are
    not safe to share between threads (the engine uploads, refreshes locks and restores on
    separate threads), so each thread gets its own driver, made on first use.

    Writes are a single request from memory where the provider allows: S3's multipart
    upload is switched off because it turns even a 1-byte object into 3 requests. Azure
    uploads go through Put Block + Put Block List, whose commit is atomic. Either way a
    reader sees the old object or the new one, as the BlobStore contract requires.
    """

    parallel_puts = 2  # a second upload overlaps the first's round trips (one driver per thread)

    def __init__(self, connect: DriverFactory, container_name: str, prefix: str = "", *,
                 description: str = "") -> None:
        self._connect = connect
        self.container_name = container_name
        stripped = prefix.strip("/")
        self._prefix = validate_name(stripped) + "/" if stripped else ""
        self.description = description or f"container '{container_name}'"
        self._local = threading.local()

    # -- plumbing ----------------------------------------------------------------
    def _driver(self) -> StorageDriver:
        driver: StorageDriver | None = getattr(self._local, "driver", None)
        if driver is None:
            driver = self._connect()
            # One PUT from a file-like object instead of fixed 5 MiB multipart parts.
            if hasattr(driver, "supports_s3_multipart_upload"):
                driver.supports_s3_multipart_upload = False
                _skip_unchecked_upload_hash(driver)
            self._local.upload_options = _upload_options(driver)
            self._local.driver = driver
        return driver

    def _container(self) -> Container:
        # Built locally: fetching it would cost a request per operation for nothing.
        return Container(name=self.container_name, extra={}, driver=self._driver())

    def _object(self, name: str) -> Object:
        validate_name(name)
        return Object(name=self._prefix + name, size=0, hash="", extra={}, meta_data={},
                      container=self._container(), driver=self._driver())

    # -- BlobStore ---------------------------------------------------------------
    def put(self, name: str, data: bytes) -> None:
        self.put_file(name, io.BytesIO(data))

    def put_file(self, name: str, file: IO[bytes]) -> None:
        validate_name(name)
        headers = self._write_headers(name, file)
        file.seek(0)
        try:
            self._driver().upload_object_via_stream(file, self._container(), self._prefix + name, headers=headers,
                                                    **self._local.upload_options)
        except Exception as exc:
            raise self._translate(exc, name, writing=True) from exc

    def _write_headers(self, name: str, file: IO[bytes]) -> dict[str, str] | None:
        """Extra headers of one upload: none here; a locking store adds its retention."""
        return None

    def get(self, name: str) -> bytes:
        obj = self._object(name)
        try:
            return b"".join(self._driver().download_object_as_stream(obj))
        except Exception as exc:
            raise self._translate(exc, name) from exc

    def get_range(self, name: str, offset: int, length: int) -> bytes:
        """Bytes ``[offset, offset+length)``, shorter at the end of the object (like a file read)."""
        obj = self._object(name)
        if length <= 0:
            if not self.exists(name):
                raise NotFoundError(f"object {name} does not exist", context=self.description)
            return b""
        try:
            stream = self._driver().download_object_range_as_stream(obj, offset, offset + length)
            return b"".join(stream)
        except Exception as exc:
            if _status_of(exc) == 416:  # range starts at or past the end: an empty read
                return b""
            raise self._translate(exc, name) from exc

    def list(self, prefix: str = "") -> Iterator[str]:
        """All names below ``prefix``, sorted; libcloud follows the pages (Azure: 100 a page)."""
        validate_prefix(prefix)
        try:
            found = self._driver().iterate_container_objects(self._container(), prefix=self._prefix + prefix)
            names = sorted(o.name[len(self._prefix):] for o in found)
        except (ContainerDoesNotExistError, ObjectDoesNotExistError):
            return iter([])
        except Exception as exc:
            if _status_of(exc) == 404:
                return iter([])
            raise self._translate(exc, prefix or "/") from exc
        return iter(names)

    def delete(self, name: str) -> None:
        obj = self._object(name)
        try:
            self._driver().delete_object(obj)
        except (ObjectDoesNotExistError, ContainerDoesNotExistError):
            return
        except Exception as exc:
            if _status_of(exc) == 404:
                return
            raise self._translate(exc, name) from exc

    def exists(self, name: str) -> bool:
        validate_name(name)
        try:
            self._driver().get_object(self.container_name, self._prefix + name)
        except (ObjectDoesNotExistError, ContainerDoesNotExistError):
            return False
        except Exception as exc:
            if _status_of(exc) == 404:
                return False
            raise self._translate(exc, name) from exc
        return True

    def size(self, name: str) -> int:
        validate_name(name)
        try:
            return int(self._driver().get_object(self.container_name, self._prefix + name).size)
        except (ObjectDoesNotExistError, ContainerDoesNotExistError):
            raise NotFoundError(f"object {name} does not exist", context=self.description) from None
        except Exception as exc:
            if _status_of(exc) == 404:
                raise NotFoundError(f"object {name} does not exist", context=self.description) from None
            raise self._translate(exc, name) from exc

    # -- container -----------------------------------------------------------------
    def ensure_container(self) -> None:
        """Create the container when it is missing (idempotent); called on repository init."""
        driver = self._driver()
        try:
            driver.get_container(self.container_name)
            return
        except ContainerDoesNotExistError:
            pass
        except Exception as exc:
            raise self._translate(exc, self.container_name) from exc
        try:
            driver.create_container(self.container_name)
        except Exception as exc:
            if _status_of(exc) == 409 or "AlreadyExists" in type(exc).__name__:
                return  # created concurrently by another process: fine
            raise self._translate(exc, self.container_name) from exc

    # -- errors --------------------------------------------------------------------
    def _translate(self, exc: Exception, name: str, *, writing: bool = False) -> BkctlError:
        """Map a library error to bkctl's; never includes credentials (libcloud's texts hold none)."""
        where = self.description
        if isinstance(exc, BkctlError):
            return exc
        status = _status_of(exc)
        if isinstance(exc, InvalidCredsError) or status in (401, 403):
            return CredentialsRejectedError(
                "credentials rejected", context=where,
                hint="check the access key and secret in the variables named by key_env and secret_env")
        if isinstance(exc, ContainerDoesNotExistError) or (writing and status == 404):
            return ContainerMissingError(
                f"container '{self.container_name}' does not exist", context=where,
                hint="run `bkctl apply` to initialise the target, which creates the container")
        if isinstance(exc, ObjectDoesNotExistError) or status == 404:
            return NotFoundError(f"object {name} does not exist", context=where)
        if _is_transient(exc, status):
            return TransientStorageError(f"storage request for {name} failed: {_summary(exc)}", context=where)
        return TargetUnreachableError(f"storage request for {name} was refused: {_summary(exc)}", context=where)


def _status_of(exc: BaseException) -> int | None:
    for attribute in ("http_code", "code", "status"):
        value: Any = getattr(exc, attribute, None)
        if isinstance(value, int) and 100 <= value <= 599:
            return value
    match = _STATUS_IN_TEXT.search(str(getattr(exc, "value", "")) + " " + str(exc))
    return int(match.group(1)) if match else None


def _is_transient(exc: Exception, status: int | None) -> bool:
    if isinstance(exc, RequestException | OSError | HTTPException | TimeoutError):
        return True
    if status is not None:
        return status >= 500 or status in _RETRYABLE_STATUS
    if isinstance(exc, ContainerError):  # a container the server will not create (400): it says so again
        return False
    # A LibcloudError without a status (hash mismatch, truncated body): worth another try.
    return isinstance(exc, LibcloudError)


def _summary(exc: BaseException) -> str:
    """A short reason: requests' own texts repeat the whole URL and the retry internals."""
    if isinstance(exc, Timeout | TimeoutError):
        return "the storage endpoint did not answer in time"
    if isinstance(exc, RequestsConnectionError | ConnectionError):
        return "could not connect to the storage endpoint"
    text = str(getattr(exc, "value", "") or exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."
