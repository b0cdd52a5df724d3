"""A SQLite store module in the port's shape: its functions with the database bound, so one
scenario runs against `store/<concern>.py` and `store/postgres/<concern>.py` alike and the
whole results are compared."""

from __future__ import annotations

import functools
from types import ModuleType
from typing import Any

from middleware.store.db import Database


class Bound:
    def __init__(self, module: ModuleType, db: Database) -> None:
        self._module = module
        self._db = db

    def __getattr__(self, name: str) -> Any:
        return functools.partial(getattr(self._module, name), self._db)
