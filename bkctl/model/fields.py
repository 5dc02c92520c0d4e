"""Durations and sizes as pydantic field types: parsed from text, written back as text.

Apart from :mod:`bkctl.model.units` so the engine can format sizes without importing
pydantic (0.1 s of a backup's start-up).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from bkctl.model.units import DURATION_PATTERN, SIZE_PATTERN, Duration, parse_duration, parse_size

__all__ = ["DurationField", "SizeField"]

DurationField = Annotated[
    Duration,
    BeforeValidator(parse_duration),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "pattern": DURATION_PATTERN, "examples": ["8h", "7d"]}),
]

SizeField = Annotated[
    int,
    BeforeValidator(parse_size),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0},
                {"type": "string", "pattern": SIZE_PATTERN},
            ],
            "examples": ["800GB", "512MiB"],
        }
    ),
]
