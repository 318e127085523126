"""User-facing input errors that name the file, the field and what is allowed."""
from __future__ import annotations

from pydantic import ValidationError


class InputError(ValueError):
    """Bad input: carries the file, the field (dotted path) and what is allowed."""

    def __init__(self, file: str, field: str, allowed: str) -> None:
        self.file, self.field, self.allowed = file, field, allowed
        super().__init__(f"{file}: field '{field}': {allowed}")


def format_validation_error(exc: ValidationError, prefix: str = "") -> tuple[str, str]:
    """The first problem of a pydantic error as (dotted field, message); others are appended."""
    parts = []
    first_field = prefix or "(file)"
    for i, err in enumerate(exc.errors()):
        loc = ".".join(str(x) for x in err["loc"] if not str(x).startswith(("function-", "tagged-union")))
        field = ".".join(x for x in (prefix, loc) if x) or "(file)"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (not allowed here)"
        if "input" in err and err["type"] not in ("missing", "extra_forbidden"):
            msg += f" (got {err['input']!r})"
        if i == 0:
            first_field = field
            parts.append(msg)
        else:
            parts.append(f"also '{field}': {msg}")
    return first_field, "; ".join(parts)
