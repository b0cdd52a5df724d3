"""The `kv` table's keys: every small named value the middleware keeps, spelled once.

Values are read and written through `audit.get_value` / `audit.set_value` (`pms_rooms` uses
the table inside its own transaction). A key with `{...}` is a template:
`LAST_FULL_SYNC_KEY.format(property_id=...)`.
"""

from __future__ import annotations

# ops.runtime: the legacy data/bookings.json was imported (once; its counts as JSON).
LEGACY_IMPORTED_KEY = "legacy_bookings_imported"
# ops.mapping_reload: the stamp a reload request writes for every process to see.
MAPPING_RELOAD_KEY = "mapping_reload_requested"
# ops.watch: the last notice id the problem watch alerted on.
NOTICE_WATERMARK_KEY = "alerts_notice_watermark"
# ops.checks: the database write probe of /health and `check`.
HEALTH_PROBE_KEY = "health_probe"
# store.pms_rooms: mapped categorias the PMS did not serve, per property (JSON). The key of
# before migration 10 held them without their property; that migration removes it.
PMS_UNSERVED_BY_PROPERTY_KEY = "pms_unserved_by_property"
# worker.ari_sync: when a property's last full sync finished.
LAST_FULL_SYNC_KEY = "last_full_sync:{property_id}"
# worker.runner: the nightly full sync asked for, per property.
NIGHTLY_REQUESTED_KEY = "nightly_full_sync_requested:{property_id}"
# worker.parity: a lane's last read-back, the last whole-horizon pass, drift seen pass after pass.
PARITY_LAST_PASS_KEY = "parity_last:{property_id}:{kind}"
PARITY_LAST_FULL_KEY = "parity_last_full:{property_id}"
PARITY_RECURRING_KEY = "parity_drift_passes:{property_id}"
# worker.catalog: what Channex calls a property's room types and rate plans (JSON), read by the
# worker for the console.
CHANNEX_CATALOG_KEY = "channex_catalog:{property_id}"
