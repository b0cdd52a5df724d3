"""A SQLite store module in the port's shape: its functions with the database bound, so one
scenario runs against `store/sqlite/<concern>.py` and `store/postgres/<concern>.py` alike and the
whole results are compared."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from middleware.store.sqlite.db import Database


class Bound:
    def __init__(self, module: ModuleType, db: Database) -> None:
        """`module` is a `store.sqlite` concern module: its `Sqlite<Concern>` class over `db`."""
        (self._impl,) = (
            value(db)
            for name, value in vars(module).items()
            if name.startswith("Sqlite")
            and isinstance(value, type)
            and value.__module__ == module.__name__
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._impl, name)
