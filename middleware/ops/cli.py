"""The operator's command line: `python -m middleware <command>`.

    status [--json]                 the status report (what `GET /status` answers)
    sync full                       record a full ARI sync request (the first one goes live)
    sync incremental [--property ID|NAME] [--categorias lvu,ov]
                     [--from YYYY-MM-DD] [--to YYYY-MM-DD]
                                    --property: one hotel (Channex property id or mapping
                                    name), like `POST /webhook/pms`'s `property`
    replay <revision_id>            a parked booking revision back to pending
    handled <revision_id> --by NAME --reason TEXT
                                    close a parked revision the hotel dealt with by hand
                                    (recorded, and acked at Channex)
    find TEXT [--json]              bookings by OTA reservation code or guest name
    retry-dead [--property-id ID] [--kind availability|restrictions]
    reload-mapping                  validate MAPPING_FILE and have the running services switch
                                    to it (they look within WORKER_INTERVAL seconds)
    check                           the health checks, one line each (exit 1 if any fails);
                                    reads only: "--" marks a check that could not look
    import-legacy [PATH]            the legacy booking store (default data/bookings.json)

Settings come from the environment (and `.env`) like the services; bad settings or a missing
or invalid mapping file exit 2 with every problem named. Sync, replay and retry only write to
the database: the worker (its own process, or inside `web`) acts on them at its next pass;
`handled` also acks the revision at Channex itself.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

import orjson

from middleware import clock as clocks
from middleware import logs
from middleware.config import DEFAULT_ENV_FILE, Settings, load_settings
from middleware.domain import sync_scope
from middleware.domain.mapping import PropertyMap
from middleware.domain.models import KINDS, Kind
from middleware.errors import ConfigError, MappingFileError, PayloadError
from middleware.mapping_file import load_mapping
from middleware.ops import attention_report, mapping_reload
from middleware.ops.checks import Checker
from middleware.ops.report import status_report
from middleware.ops.runtime import open_runtime
from middleware.store.open import DatabaseUnavailableError, open_store
from middleware.web import sync_targets
from middleware.web.requests import SyncScope
from middleware.worker import handling

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2
NOT_LIVE = "not live yet: nothing is sent to Channex until `sync full`"
DEFAULT_LEGACY_PATH = Path("data/bookings.json")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m middleware", description="Operate the sistema-os ⇄ Channex middleware."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    status = commands.add_parser("status", help="the status report")
    status.add_argument("--json", action="store_true", help="print the report as JSON")
    sync = commands.add_parser("sync", help="record an ARI sync request for the worker")
    kinds = sync.add_subparsers(dest="sync_kind", required=True, metavar="full|incremental")
    kinds.add_parser("full", help="the whole horizon, every cell; the first one goes live")
    incremental = kinds.add_parser("incremental", help="re-read and push what changed")
    incremental.add_argument(
        "--property", dest="property_ref", help="Channex property id or mapping name (default all)"
    )
    incremental.add_argument("--categorias", help="comma-separated, e.g. lvu,ov (default all)")
    incremental.add_argument("--from", dest="date_from", type=date.fromisoformat)
    incremental.add_argument("--to", dest="date_to", type=date.fromisoformat)
    replay = commands.add_parser("replay", help="a parked booking revision back to pending")
    replay.add_argument("revision_id")
    handled = commands.add_parser(
        "handled", help="close a parked booking revision the hotel dealt with by hand"
    )
    handled.add_argument("revision_id")
    handled.add_argument("--by", required=True, help="who dealt with it")
    handled.add_argument("--reason", required=True, help="what was done, in a few words")
    find = commands.add_parser("find", help="bookings by OTA reservation code or guest name")
    find.add_argument("text")
    find.add_argument("--json", action="store_true", help="print the matches as JSON")
    retry = commands.add_parser("retry-dead", help="dead-lettered pushes back to pending")
    retry.add_argument("--property-id")
    retry.add_argument("--kind", choices=KINDS)
    commands.add_parser("check", help="run the health checks")
    commands.add_parser("reload-mapping", help="validate the mapping file; the services reload it")
    legacy = commands.add_parser("import-legacy", help="import the legacy booking store")
    legacy.add_argument("path", nargs="?", type=Path, default=DEFAULT_LEGACY_PATH)
    return parser


async def run(
    argv: Sequence[str],
    environ: Mapping[str, str],
    *,
    out: TextIO,
    err: TextIO,
    env_file: str | Path | None = DEFAULT_ENV_FILE,
    clock: clocks.Clock = clocks.utc_now,
) -> int:
    """The command without process concerns; returns the exit code."""
    args = build_parser().parse_args(list(argv))
    try:
        settings = load_settings(environ, env_file=env_file)
        if args.command in ("status", "check", "sync", "handled", "reload-mapping", "find"):
            load_mapping(settings.mapping_file)  # fail fast with every problem named
    except (ConfigError, MappingFileError) as exc:
        print(f"error: {exc}", file=err)
        return EXIT_CONFIG
    for secret in settings.secret_values():
        logs.register_secret(secret)
    try:
        return await _command(args, settings, environ, out=out, err=err, clock=clock)
    except (ConfigError, DatabaseUnavailableError) as exc:  # the store could not be opened
        print(f"error: {exc}", file=err)
        return EXIT_CONFIG


async def _command(
    args: argparse.Namespace,
    settings: Settings,
    environ: Mapping[str, str],
    *,
    out: TextIO,
    err: TextIO,
    clock: clocks.Clock,
) -> int:
    if args.command == "status":
        return await show_status(settings, out=out, as_json=args.json, clock=clock)
    if args.command == "check":
        return await check(settings, out=out, clock=clock)
    if args.command == "sync":
        codes = None if args.sync_kind == "full" else _codes(args.categorias)
        full = args.sync_kind == "full"
        date_from = None if full else args.date_from
        date_to = None if full else args.date_to
        return await request_sync(
            settings,
            full=full,
            room_codes=codes,
            date_from=date_from,
            date_to=date_to,
            property_ref=None if full else args.property_ref,
            out=out,
            err=err,
            clock=clock,
            by=f"python -m middleware sync full (user {environ.get('USER') or 'unknown'})",
        )
    if args.command == "replay":
        return await replay(settings, args.revision_id, out=out, err=err, clock=clock)
    if args.command == "reload-mapping":
        return await reload_mapping(settings, out=out, clock=clock)
    if args.command == "handled":
        return await mark_handled(
            settings, args.revision_id, args.by, args.reason, out=out, err=err, clock=clock
        )
    if args.command == "find":
        return await find(settings, args.text, out=out, as_json=args.json)
    if args.command == "retry-dead":
        kind = next((k for k in KINDS if k == args.kind), None)
        return await retry_dead(
            settings, property_id=args.property_id, kind=kind, out=out, clock=clock
        )
    return await import_legacy(settings, args.path, out=out, err=err, clock=clock)


def _codes(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    return tuple(code.strip() for code in text.split(",") if code.strip()) or None


# --------------------------------------------------------------------------- commands


async def show_status(
    settings: Settings, *, out: TextIO, as_json: bool, clock: clocks.Clock = clocks.utc_now
) -> int:
    async with open_runtime(settings, clock=clock) as rt:
        report = await status_report(rt)
    if as_json:
        print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode(), file=out)
    else:
        print("\n".join(status_lines(report)), file=out)
    return EXIT_OK


async def check(settings: Settings, *, out: TextIO, clock: clocks.Clock = clocks.utc_now) -> int:
    """The health checks, changing nothing: the database is only read (a missing one is
    reported, not created), calls are not audited, and no log line mixes into the report."""
    with logs.silenced():
        async with open_runtime(settings, clock=clock, read_only=True) as rt:
            results = await Checker(rt, read_only=True).run()
    for result in results:
        label = (
            "FAIL"
            if not result.ok
            else "--"
            if not result.verified
            else "warn"
            if result.warning
            else "ok"
        )
        print(f"{label:<4}  {result.name:<16} {result.detail}", file=out)
    return EXIT_OK if all(r.ok for r in results) else EXIT_FAILED


async def request_sync(
    settings: Settings,
    *,
    full: bool,
    room_codes: Sequence[str] | None,
    date_from: date | None,
    date_to: date | None,
    out: TextIO,
    err: TextIO,
    clock: clocks.Clock = clocks.utc_now,
    by: str = "python -m middleware sync full",
    property_ref: str | None = None,
) -> int:
    """Record a sync request as `/sync/*` do, one per property the scope concerns
    (`sync_targets`, like the routes); the worker picks them up. `property_ref` (incremental
    only): one hotel, by Channex property id or mapping name. A full sync puts every mapped
    property live (`store.live`), recorded as done `by` this caller."""
    if not settings.channex_enabled:
        print("error: Channex integration is disabled (CHANNEX_ENABLED=false)", file=err)
        return EXIT_FAILED
    if date_from and date_to and date_to < date_from:
        print(f"error: --to {date_to} is before --from {date_from}", file=err)
        return EXIT_CONFIG
    mapping = load_mapping(settings.mapping_file)
    named = None if property_ref is None else mapping.find(property_ref)
    if property_ref is not None and named is None:
        known = ", ".join(f"{p.name} ({p.property_id})" for p in mapping)
        print(f"error: --property {property_ref!r} is not mapped; mapped: {known}", file=err)
        return EXIT_CONFIG
    scope = SyncScope(
        room_codes=None if room_codes is None else tuple(room_codes),
        date_from=date_from,
        date_to=date_to,
        property_ref=property_ref,
    )
    try:
        sync_scope.check_scope(
            mapping,
            room_codes=room_codes,
            date_from=date_from,
            date_to=date_to,
            now=clock(),
            horizon_days=settings.channex_sync_days,
            property_ref=property_ref,
        )
        targets = sync_targets.resolve(mapping, scope).targets
    except PayloadError as exc:
        print(f"error: {exc}", file=err)
        return EXIT_CONFIG
    store = await open_store(settings)
    try:
        was_live = await store.live.live_properties()
        if full:
            ids = [prop.property_id for prop in mapping]
            request_ids = [await store.live.go_live(ids, clock(), by=by, source="cli_sync_full")]
        else:
            request_ids = [
                await store.sync_requests.request(
                    source="cli_sync_incremental",
                    now=clock(),
                    property_id=target.property_id,
                    room_codes=target.room_codes,
                    date_from=date_from,
                    date_to=date_to,
                )
                for target in targets
            ]
    finally:
        await store.close()
    what = "full" if full else _scope_text(room_codes, date_from, date_to, named)
    which = ", ".join(str(i) for i in request_ids)
    print(
        f"sync request{'s' if len(request_ids) > 1 else ''} {which} recorded ({what});"
        " the worker runs it next pass",
        file=out,
    )
    for prop in mapping:
        if prop.property_id in was_live or (named is not None and prop is not named):
            continue
        print(
            f"{prop.name} ({prop.property_id}): "
            + ("live now: the full sync pushes the whole horizon" if full else NOT_LIVE),
            file=out,
        )
    return EXIT_OK


def _scope_text(
    codes: Sequence[str] | None,
    first: date | None,
    last: date | None,
    prop: PropertyMap | None = None,
) -> str:
    where = ", ".join(codes) if codes else "every categoria"
    span = f"{first or 'today'} .. {last or 'end of horizon'}"
    hotel = "" if prop is None else f"{prop.name or prop.property_id} ({prop.property_id}): "
    return f"incremental: {hotel}{where}, {span}"


async def replay(
    settings: Settings, revision_id: str, *, out: TextIO, err: TextIO, clock: clocks.Clock
) -> int:
    store = await open_store(settings)
    try:
        if not await store.revisions.replay(revision_id, clock()):
            print(f"error: revision {revision_id} is not parked", file=err)
            return EXIT_FAILED
        await store.notices.resolve(clock(), kind="booking_needs_attention", ref=revision_id)
    finally:
        await store.close()
    print(f"revision {revision_id} is pending again; the worker replays it next pass", file=out)
    return EXIT_OK


async def reload_mapping(settings: Settings, *, out: TextIO, clock: clocks.Clock) -> int:
    """The file was validated (a bad one exits 2 before this); ask the services to reload."""
    properties, codes = mapping_reload.summary(load_mapping(settings.mapping_file))
    store = await open_store(settings)
    try:
        await mapping_reload.request_reload(store, clock())
    finally:
        await store.close()
    print(
        f"mapping {settings.mapping_file} is valid ({properties} property(ies), categorias"
        f" {', '.join(codes)}); the running services reload it within"
        f" {settings.worker_interval_s:g} s",
        file=out,
    )
    return EXIT_OK


async def mark_handled(
    settings: Settings,
    revision_id: str,
    by: str,
    reason: str,
    *,
    out: TextIO,
    err: TextIO,
    clock: clocks.Clock,
) -> int:
    """Close a parked revision by hand and ack it at Channex (exit 1 if the ack failed: the
    revision stays handled; run the command again to retry the ack)."""
    try:
        by, reason = handling.check_words(by, reason)
    except PayloadError as exc:
        print(f"error: {exc}", file=err)
        return EXIT_CONFIG
    async with open_runtime(settings, clock=clock) as rt:
        channex = rt.channex if settings.channex_enabled else None
        try:
            closed = await handling.close_by_hand(
                rt.store, channex, revision_id, by=by, reason=reason, clock=clock
            )
        except handling.NotClosableError as exc:
            print(f"error: {exc}", file=err)
            return EXIT_FAILED
    done = closed.handling
    ack = {
        "acked": "acked at Channex",
        "not_needed": f"no ack: {done.ack_detail}",
        "not_sent": f"no ack: {done.ack_detail}",
        "failed": "NOT acked at Channex",
        "pending": "NOT acked at Channex",
    }[done.channex_ack]
    print(f"revision {revision_id} handled by {done.by} at {done.at.isoformat()}; {ack}", file=out)
    if done.channex_ack == "failed":
        print(f"error: the ack failed: {done.ack_detail}", file=err)
        return EXIT_FAILED
    return EXIT_OK


async def find(settings: Settings, text: str, *, out: TextIO, as_json: bool) -> int:
    """Stored booking revisions whose OTA reservation code or guest name holds `text`."""
    mapping = load_mapping(settings.mapping_file)
    store = await open_store(settings)
    try:
        found = await attention_report.search(store, mapping, text)
    finally:
        await store.close()
    if as_json:
        print(orjson.dumps(found, option=orjson.OPT_INDENT_2).decode(), file=out)
        return EXIT_OK
    if not found:
        print(f"no booking revision matches {text!r}", file=out)
    for item in found:
        print(
            f"{item['headline']}: {item['status']} (revision {item['revision_id']},"
            f" received {_local(item['received_at'], item['timezone'])})",
            file=out,
        )
        if "attention" in item:
            print(f"  {item['attention']['title']}: {item['attention']['explanation']}", file=out)
            print(f"  next step: {item['attention']['next_step']}", file=out)
    return EXIT_OK


async def retry_dead(
    settings: Settings,
    *,
    property_id: str | None,
    kind: Kind | None,
    out: TextIO,
    clock: clocks.Clock,
) -> int:
    store = await open_store(settings)
    try:
        count = await store.outbox.retry_dead(clock(), property_id=property_id, kind=kind)
        await store.notices.resolve(clock(), kind="dead_letter")
    finally:
        await store.close()
    print(f"{count} dead-lettered change(s) back to pending", file=out)
    return EXIT_OK


async def import_legacy(
    settings: Settings, path: Path, *, out: TextIO, err: TextIO, clock: clocks.Clock
) -> int:
    store = await open_store(settings)
    try:
        report = await store.booking_map.import_legacy(path, clock())
    finally:
        await store.close()
    print(f"imported {report.imported}, skipped {report.skipped} already known", file=out)
    for problem in report.problems:
        print(f"problem: {problem}", file=err)
    return EXIT_FAILED if report.problems else EXIT_OK


# --------------------------------------------------------------------------- status as text


def _local(iso: str, timezone: str) -> str:
    """`2026-10-31T09:00:00-03:00` → `2026-10-31 09:00 America/Sao_Paulo`."""
    return f"{datetime.fromisoformat(iso):%Y-%m-%d %H:%M} {timezone}"


def attention_lines(item: dict[str, Any]) -> list[str]:
    """A booking needing attention, as a person reads it (`attention_report.attention_item`)."""
    since = _local(item["since"], item["timezone"])
    return [
        f"  needs attention since {since}: {item['headline']}",
        f"    {item['title']}: {item['explanation']}",
        f"    next step: {item['next_step']}",
        f"    revision {item['revision_id']} (booking {item['booking_id']})",
    ]


def _or_dash(value: Any) -> str:
    return "-" if value is None else str(value)


def _lane_line(kind: str, lane: dict[str, Any]) -> str:
    limit = lane["rate_limit"]
    paused = f", paused until {limit['paused_until']}" if limit["paused_until"] else ""
    error = f", last error: {lane['last_error']}" if lane["last_error"] else ""
    return (
        f"  {kind:<13} pending {lane['pending']}, in flight {lane['in_flight']},"
        f" dead {lane['dead_lettered']}; last success {_or_dash(lane['last_success_at'])};"
        f" rate limit {limit['used_in_window']}/{limit['per_minute']} used{paused}{error}"
    )


def status_lines(report: dict[str, Any]) -> list[str]:
    """The status report as lines a person reads on a terminal."""
    state = "enabled" if report["channex_enabled"] else "DISABLED"
    lines = [f"now {report['now']}; Channex integration {state}"]
    for prop in report["properties"]:
        went = prop["live"]
        state = NOT_LIVE if went is None else f"live since {went['since']} ({went['by']})"
        lines.append(
            f"{prop['name']} ({prop['property_id']}): {state}; last full sync"
            f" {_or_dash(prop['last_full_sync'])}"
        )
        lines.extend(_lane_line(kind, lane) for kind, lane in prop["lanes"].items())
    booked = report["bookings"]
    counts = ", ".join(f"{k} {v}" for k, v in sorted(booked["revisions"].items())) or "none"
    lines.append(
        f"booking revisions: {counts}; oldest unacked {_or_dash(booked['oldest_unacked_at'])}"
    )
    for r in booked["needs_attention"]:
        lines.extend(attention_lines(r))
    syncs = report["sync_requests"]
    lines.append(
        f"webhooks waiting {report['webhooks']['waiting']}; sync requests pending"
        f" {syncs['pending']}"
        + (f" (last error: {syncs['last_error']})" if syncs["last_error"] else "")
    )
    lines.extend(
        f"  {n['kind']} ({n['at']}): {n['detail']}"
        for n in [*report["channex_warnings"], *report["notices"]]
    )
    if report["recent_pushes"]:
        lines.append("recent pushes:")
    lines.extend(
        f"  #{p['id']} {p['at']} /{p['endpoint']} {p['status']}: {p['values']} value(s) in"
        f" {p['calls']} call(s)"
        + (" (full sync)" if p["full_sync"] else "")
        + (f", {p['warnings']} warning(s)" if p["warnings"] else "")
        + (f", error: {p['error']}" if p["error"] else "")
        for p in report["recent_pushes"]
    )
    return lines
