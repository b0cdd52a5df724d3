"""Field validation for the emulator's content writes: collect every problem, answer one 422."""

from __future__ import annotations

import re
from typing import Any

from middleware.sandbox import channex_http as http

BLANK = "can't be blank"
INVALID = "is invalid"
TOO_LONG = "should be at most 255 character(s)"
MAX_TITLE_CHARS = 255
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class Checks:
    """Collects `field → [messages]`; `raise_if_any()` answers 422 `validation_error`."""

    def __init__(self, attrs: dict[str, Any], *, partial: bool = False) -> None:
        self.attrs = attrs
        self.partial = partial  # PUT: only present fields are checked
        self.details: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.details.setdefault(name, []).append(message)

    def _present(self, name: str, required: bool) -> bool:
        if name in self.attrs and self.attrs[name] is not None:
            return True
        if (required and not self.partial) or (required and name in self.attrs):
            self.add(name, BLANK)
        return False

    def title(self, name: str = "title") -> None:
        if not self._present(name, True):
            return
        value = self.attrs[name]
        if not isinstance(value, str) or not value.strip():
            self.add(name, BLANK)
        elif len(value) > MAX_TITLE_CHARS:
            self.add(name, TOO_LONG)

    def currency(self, name: str = "currency", *, required: bool = True) -> None:
        if self._present(name, required) and not (
            isinstance(self.attrs[name], str) and _CURRENCY.match(self.attrs[name])
        ):
            self.add(name, INVALID)

    def integer(self, name: str, *, minimum: int, required: bool = True) -> int | None:
        if not self._present(name, required):
            return None
        value = self.attrs[name]
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(name, INVALID)
            return None
        if value < minimum:
            self.add(name, f"must be greater than or equal to {minimum}")
            return None
        return value

    def boolean(self, name: str) -> None:
        if self._present(name, False) and not isinstance(self.attrs[name], bool):
            self.add(name, INVALID)

    def one_of(self, name: str, allowed: tuple[str, ...]) -> None:
        if self._present(name, False) and self.attrs[name] not in allowed:
            self.add(name, "is not included in the list")

    def string(self, name: str, *, required: bool = False) -> None:
        if self._present(name, required) and not isinstance(self.attrs[name], str):
            self.add(name, INVALID)

    def mapping(self, name: str) -> None:
        if self._present(name, False) and not isinstance(self.attrs[name], dict):
            self.add(name, INVALID)

    def raise_if_any(self) -> None:
        if self.details:
            raise http.validation_error(self.details)
