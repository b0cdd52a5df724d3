"""One assembly per process: the web's runtime holds no worker part; the worker's runtime
builds its parts again on a mapping reload and keeps its pools (in-flight work, hooks)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from middleware.domain.mapping import Mapping
from middleware.ops.runtime import open_runtime
from middleware.worker.assembly import WorkerRuntime, open_worker_runtime
from tests.worker.test_runner import MAPPING, make_settings

WORKER_PARTS = ("ari_sync", "pump", "bookings", "feed", "parity", "pools")
RENAMED = Mapping(
    (dataclasses.replace(MAPPING.properties[0], name="Duke Beach (renamed)"),),
)


async def test_the_web_runtime_builds_no_worker_part_and_follows_a_reload(tmp_path: Path) -> None:
    async with open_runtime(make_settings(tmp_path), mapping=MAPPING) as rt:
        assert not isinstance(rt, WorkerRuntime)
        assert [name for name in WORKER_PARTS if hasattr(rt, name)] == []
        directory = rt.pms_directory
        rt.use_mapping(RENAMED)
        assert rt.mapping is RENAMED
        assert rt.pms_directory is not directory
        assert rt.pms is rt.pms_directory.default


async def test_a_reload_builds_the_worker_parts_again_in_the_same_pools(tmp_path: Path) -> None:
    async with open_worker_runtime(make_settings(tmp_path), mapping=MAPPING) as rt:
        before = [getattr(rt, name) for name in WORKER_PARTS]
        pools, directory = rt.pools, rt.pms_directory
        assert (rt.ari_sync.pool, rt.pump.pool, rt.bookings.pool) == (
            pools.ari,
            pools.pump,
            pools.bookings,
        )

        rt.use_mapping(RENAMED)

        assert rt.mapping is RENAMED
        assert rt.pms_directory is not directory
        after = [getattr(rt, name) for name in WORKER_PARTS]
        assert [a is b for a, b in zip(before, after, strict=True)] == [
            False,
            False,
            False,
            False,
            False,
            True,  # the pools outlive the reload
        ]
        assert (rt.ari_sync.pool, rt.pump.pool, rt.bookings.pool) == (
            pools.ari,
            pools.pump,
            pools.bookings,
        )
