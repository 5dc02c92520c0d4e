"""Shared pydantic configuration: frozen models that reject unknown keys."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = ["Strict", "Name", "NAME_PATTERN"]

NAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,62}$"

Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]


class Strict(BaseModel):
    """Base of every manifest model: immutable, unknown keys are errors, docs required."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=False)


def described(description: str, example: object, **kwargs: Any) -> Any:
    """A pydantic Field with a description and one example, required of every field."""
    return Field(description=description, examples=[example], **kwargs)
