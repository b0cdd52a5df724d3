"""A worker killed (`kill -9`) between the PMS creating a booking and the ack to Channex.

The middleware's web runs in this process (it takes the webhooks); its worker is a real
`python -m middleware.worker` subprocess. sistema-os commits the booking and then stalls its
answer; while the worker waits for it, the process is killed. A new worker takes the revision
over once the dead one's lease runs out, creates again with the same Idempotency-Key (the PMS
answers with the booking it already has) and acks. Exactly one PMS booking, one ack.

Clocks: the subprocess reads the real clock, so the harness's clock starts at the real now.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from middleware.sandbox.pms_faults import PmsFaultPlan
from middleware.sandbox.processes import MiddlewareProcess, middleware_env, running
from tests.flow import ota
from tests.flow.harness import start_system
from tests.kit.backends import Backend
from tests.kit.clocks import ShiftedClock

CRASH_ENV = {
    "WORKER_IN_PROCESS": "false",
    "WORKER_LEASE": "3",
    "CHANNEX_TIMEOUT": "2",
    "PMS_TIMEOUT": "2",
    "WORKER_INTERVAL": "0.1",
    "ARI_DEBOUNCE": "0.1",
    "ARI_MAX_DELAY": "0.5",
}
STALL_S = 5.0  # longer than PMS_TIMEOUT: the killed worker would never have had the answer


async def test_a_worker_killed_after_the_pms_commit_leaves_one_booking_and_one_ack(
    tmp_path: Path,
    backend: Backend,
) -> None:
    clock = ShiftedClock(datetime.now(UTC))  # the subprocess uses the real clock
    async with start_system(tmp_path, backend, clock=clock, extra_env=CRASH_ENV) as system:
        assert system.context.worker is None  # the web here takes webhooks only
        worker = MiddlewareProcess.worker(middleware_env(system.settings), cwd=tmp_path)
        async with running(worker):
            await worker.wait_for_event("worker_started")
            checkin = system.today() + timedelta(days=30)
            system.pms.faults = PmsFaultPlan(seed=11, fail_after_commit=1, commit_stall_s=STALL_S)
            booking_id, revision_id = system.channex.create_booking(
                property_id=system.property_id,
                rooms=[ota.room(system, "ovp", checkin, checkin + timedelta(days=6))],
                customer=ota.customer("Rita", "Melo", mail="rita@example.com", phone="+55 84"),
            )

            async def committed() -> bool:
                return ota.pms_rooms(system, booking_id) != []

            await ota.until(committed, timeout_s=20.0, what="the PMS commits the booking")
            await worker.kill()
            (before_kill,) = ota.pms_rooms(system, booking_id)

            # Killed mid-call: the PMS has the booking, the middleware does not know it yet.
            store = system.context.runtime.store
            row = await store.revisions.get(revision_id)
            assert row is not None
            assert (row.status, row.attempts) == ("pending", 0)
            assert worker.events("booking_revision_processed") == []
            assert ota.acks(system) == Counter()

            await worker.start()
            await worker.wait_for_event("worker_started")
            await system.settle(timeout_s=30.0)
            processed = await worker.wait_for_event("booking_revision_processed")

        (made,) = ota.pms_rooms(system, booking_id)
        assert made == before_kill  # the booking the killed worker's call committed
        assert (made.categoria, made.quarto_indice, made.status) == ("ovp", 0, "CONFIRMADA")
        assert len(system.pms.bookings()) == 1
        keys = [
            r.headers.get("idempotency-key")
            for r in system.pms.requests
            if r.method == "POST" and r.path == "/api/v1/channex/booking"
        ]
        assert keys and set(keys) == {f"{booking_id}:0"}
        assert ota.acks(system) == Counter({revision_id: 1})
        assert (processed["revision_id"], processed["outcome"], processed["rooms_created"]) == (
            revision_id,
            "acked",
            1,
        )
        assert await store.revisions.counts() == {
            "pending": 0,
            "applied": 0,
            "acked": 1,
            "stale": 0,
            "parked": 0,
            "handled": 0,
            "unknown": 0,
        }
        assert await store.notices.open_notices() == []
        errors = [e for e in worker.events() if e.get("level") in ("error", "critical")]
        assert errors == [], worker.output()
        assert (worker.starts, worker.kills, worker.returncode) == (2, 1, 0)
