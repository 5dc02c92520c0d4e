"""Blob stores: where repository objects live (local directory, memory, ...)."""

from bkctl.store.base import BlobStore, InvalidNameError, validate_name
from bkctl.store.local import LocalStore
from bkctl.store.memory import MemoryStore

__all__ = ["BlobStore", "InvalidNameError", "LocalStore", "MemoryStore", "validate_name"]
