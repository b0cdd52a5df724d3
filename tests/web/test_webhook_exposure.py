"""No open webhook by accident: with Channex enabled and no webhook secret the web process
refuses to start (one line, exit 2) unless CHANNEX_WEBHOOK_ALLOW_UNSIGNED=true names the risk;
`/health` warns about an unsigned webhook (200, status "warning") and says so in its entry."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from middleware.config import load_settings
from middleware.mapping_file import write_mapping
from middleware.sandbox.processes import child_env
from middleware.web.__main__ import unsigned_webhook_refusal
from tests.flow.harness import start_system
from tests.kit.clocks import ManualClock
from tests.web.operator_kit import NO_WORKER, beat, get
from tests.web.test_sync_routes import MAPPING

REFUSAL = (
    "CHANNEX_WEBHOOK_SECRET is empty: /webhook/channex would take anyone's POST; set it"
    " (and register the webhook with it: scripts/setup_channex_duke.py --webhook-url), or"
    " set CHANNEX_WEBHOOK_ALLOW_UNSIGNED=true to accept that risk"
)
KEY = {"CHANNEX_API_KEY": "exposure-test-key-0123"}


@pytest.mark.parametrize(
    ("env", "refused"),
    [
        ({**KEY}, True),
        ({**KEY, "CHANNEX_WEBHOOK_ALLOW_UNSIGNED": "true"}, False),
        ({**KEY, "CHANNEX_WEBHOOK_SECRET": "s3cret-value"}, False),
        ({"CHANNEX_ENABLED": "false"}, False),  # no Channex: no bookings to forge
    ],
)
def test_the_refusal_needs_channex_on_no_secret_and_no_explicit_consent(
    env: dict[str, str], refused: bool
) -> None:
    settings = load_settings(env, env_file=None)
    assert unsigned_webhook_refusal(settings) == (REFUSAL if refused else None)


def test_the_web_process_refuses_an_unsigned_webhook_in_one_line(tmp_path: Path) -> None:
    """The real entry point, in one-process mode too: exit 2, one line, nothing created."""
    mapping = tmp_path / "mapping.json"
    write_mapping(mapping, MAPPING)
    env = {
        **KEY,
        "MAPPING_FILE": str(mapping),
        "DATABASE_PATH": str(tmp_path / "data" / "m.db"),
        "WORKER_IN_PROCESS": "true",
        "PORT": "9",  # never bound
    }
    done = subprocess.run(
        [sys.executable, "-m", "middleware.web"],
        env=child_env(env),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"middleware: {REFUSAL}\n")
    assert not (tmp_path / "data").exists()


async def test_health_warns_about_an_unsigned_webhook(tmp_path: Path) -> None:
    env = {**NO_WORKER, "CHANNEX_WEBHOOK_SECRET": "", "CHANNEX_WEBHOOK_ALLOW_UNSIGNED": "true"}
    async with start_system(tmp_path, clock=ManualClock(), extra_env=env) as system:
        await beat(system)
        status, body = await get(system, "/health")
        assert (status, body["status"]) == (200, "warning")
        webhook = next(c for c in body["checks"] if c["name"] == "webhook")
        assert webhook == {
            "name": "webhook",
            "ok": True,
            "detail": "UNSIGNED: CHANNEX_WEBHOOK_SECRET is empty, /webhook/channex takes"
            " anyone's POST (allowed by CHANNEX_WEBHOOK_ALLOW_UNSIGNED=true)",
        }
        assert [c["name"] for c in body["checks"] if not c["ok"]] == []
