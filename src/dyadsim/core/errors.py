"""User-facing input errors that name the file, the field and what is allowed.

Messages are bounded in length: a hostile input (a huge string, an alias bomb) is shown only
by a short, truncated ``repr``, so building an error message never costs time or memory.
"""
from __future__ import annotations

import reprlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported lazily: the command line loads this module before anything heavy
    from pydantic import ValidationError

MAX_MESSAGE = 2000
"""Longest message an :class:`InputError` carries (characters)."""

_REPR = reprlib.Repr()
_REPR.maxstring = 60
_REPR.maxother = 60
_REPR.maxlist = _REPR.maxtuple = _REPR.maxset = _REPR.maxdict = 6
_REPR.maxlevel = 3


def short_repr(value: object) -> str:
    """A ``repr`` of at most about 100 characters, whatever the size or depth of ``value``."""
    try:
        text = _REPR.repr(value)
    except Exception:  # a repr that fails must not hide the real error
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 120 else text[:117] + "..."


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


class InputError(ValueError):
    """Bad input: carries the file, the field (dotted path) and what is allowed."""

    def __init__(self, file: str, field: str, allowed: str) -> None:
        self.file, self.field = _clip(str(file), 300), _clip(str(field), 200)
        self.allowed = _clip(str(allowed), MAX_MESSAGE)
        super().__init__(f"{self.file}: field '{self.field}': {self.allowed}")


class OutputError(InputError):
    """The output folder cannot be used or written (names the folder and the option)."""


# Names pydantic puts in an error's location for the member of a union that was tried; they are
# not fields of the input, so they are left out of the dotted field name.
_UNION_MEMBERS = {"float", "bool", "int", "str", "none", "bernoulli", "normal", "logitnormal", "uniform", "categorical"}


def format_validation_error(exc: "ValidationError", prefix: str = "") -> tuple[str, str]:
    """The first problem of a pydantic error as (dotted field, message); up to four others are appended."""
    parts: list[str] = []
    first_field = prefix or "(file)"
    errors = exc.errors(include_url=False, include_context=False, include_input=True)
    seen: set[str] = set()
    for err in errors[:8]:
        loc = ".".join(str(x) for x in err["loc"]
                       if not str(x).startswith(("function-", "tagged-union")) and str(x) not in _UNION_MEMBERS)
        field = ".".join(x for x in (prefix, loc) if x) or "(file)"
        if field in seen:  # one message per field (a union reports each member it tried)
            continue
        seen.add(field)
        i = len(seen) - 1
        msg = _clip(err["msg"], 300)
        if err["type"] == "extra_forbidden":
            msg = "unknown key (not allowed here)"
        if "input" in err and err["type"] not in ("missing", "extra_forbidden"):
            msg += f" (got {short_repr(err['input'])})"
        if i == 0:
            first_field = field
            parts.append(msg)
        else:
            parts.append(f"also '{_clip(field, 100)}': {msg}")
    if len(errors) > 8:
        parts.append(f"and {len(errors) - 8} more")
    return first_field, "; ".join(parts)
