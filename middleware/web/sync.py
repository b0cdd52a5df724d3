"""ARI triggers: `POST /webhook/pms` (sistema-os says what changed) and `POST /sync/full` /
`POST /sync/incremental` (operators). Each records a durable sync request per property it
concerns (`sync_targets`) and answers 202 at once; the worker reads that property's PMS and
pushes only what changed. The first `POST /sync/full` puts every mapped property live
(`store.live`): nothing is pushed before it.
"""

from __future__ import annotations

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from middleware.domain import sync_scope
from middleware.errors import PayloadError
from middleware.web import sync_targets
from middleware.web.auth import require_admin, token_matches
from middleware.web.context import ctx
from middleware.web.requests import SyncScope, parse_scope

log = structlog.get_logger(__name__)

DISABLED = {"error": "Channex integration is disabled"}


async def _record(
    request: Request,
    scope: SyncScope,
    *,
    source: str,
    full: bool,
    caller: str | None = None,
    due_in_s: float = 0.0,
) -> Response:
    """One durable request per property the scope names (`sync_targets`), answered 202."""
    context = ctx(request)
    rt = context.runtime
    try:
        resolved = sync_targets.resolve(rt.mapping, scope, caller=caller)
    except PayloadError as exc:
        log.warning("sync_request_invalid", path=request.url.path, error=str(exc))
        return JSONResponse({"error": str(exc)}, status_code=422)
    if full:  # a full sync is the go-live: the properties go live with the request
        client = request.client.host if request.client else "unknown"
        ids = [
            await rt.store.live.go_live(
                [prop.property_id for prop in rt.mapping],
                rt.clock(),
                by=f"POST /sync/full from {client}",
                source=source,
            )
        ]
    else:
        write = (
            rt.store.sync_requests.request if context.requests is None else context.requests.request
        )
        ids = [
            await write(
                source=source,
                now=rt.clock(),
                property_id=target.property_id,
                room_codes=target.room_codes,
                date_from=scope.date_from,
                date_to=scope.date_to,
                due_in_s=due_in_s,
            )
            for target in resolved.targets
        ]
    context.wake_worker("ari")  # a sync request is the ARI loop's work alone
    log.info(
        "sync_requested",
        source=source,
        request_ids=ids,
        property_ids=[t.property_id for t in resolved.targets],
        full_sync=full,
        room_codes=list(scope.room_codes or ()),
        unmapped=list(resolved.unmapped),
    )
    body: dict[str, object] = {"status": "accepted", "request_id": ids[0]}
    if len(ids) > 1:
        body["request_ids"] = ids
    if resolved.unmapped:
        body["unmapped_categorias"] = list(resolved.unmapped)
    return JSONResponse(body, status_code=202)


def _pms_caller(request: Request) -> str | Response | None:
    """Who sent a PMS notice: the property whose own webhook token (`webhook_token_env`) it
    carries, else None once the global `PMS_WEBHOOK_TOKEN` matched (or no token is set at
    all); a 401 answer otherwise."""
    rt = ctx(request).runtime
    settings = rt.settings
    own = [
        (prop.property_id, settings.pms_secrets.get(prop.pms.webhook_token_env))
        for prop in rt.mapping
        if prop.pms is not None and prop.pms.webhook_token_env is not None
    ]
    for property_id, secret in own:
        if secret is not None and token_matches(request, secret):
            return property_id
    token = settings.pms_webhook_token
    if (token is None and not own) or (token is not None and token_matches(request, token)):
        return None
    log.warning("pms_webhook_unauthorized", client=request.client and request.client.host)
    return JSONResponse({"error": "invalid or missing bearer token"}, status_code=401)


async def _scope(request: Request, *, strict: bool = False) -> SyncScope | Response:
    """The body's scope; `strict` (an operator's request): no unknown key, only mapped
    categorias, dates from today to the end of the horizon."""
    rt = ctx(request).runtime
    try:
        scope = parse_scope(await request.body(), strict=strict)
        if strict:
            sync_scope.check_scope(
                rt.mapping,
                room_codes=scope.room_codes,
                date_from=scope.date_from,
                date_to=scope.date_to,
                now=rt.clock(),
                horizon_days=rt.settings.channex_sync_days,
                property_ref=scope.property_ref,
            )
        return scope
    except PayloadError as exc:
        log.warning("sync_request_invalid", path=request.url.path, error=str(exc))
        return JSONResponse({"error": str(exc)}, status_code=422)


async def pms_webhook(request: Request) -> Response:
    caller = _pms_caller(request)
    if isinstance(caller, Response):
        return caller
    scope = await _scope(request)
    if isinstance(scope, Response):
        return scope
    # the notice of an OTA booking the middleware just wrote reads the nights its re-sync reads
    coalesce = ctx(request).runtime.settings.pms_read_coalesce_s
    return await _record(
        request, scope, source="pms_webhook", full=False, caller=caller, due_in_s=coalesce
    )


async def sync_full(request: Request) -> Response:
    settings = ctx(request).runtime.settings
    if (denied := require_admin(request, settings.admin_token)) is not None:
        return denied
    if not settings.channex_enabled:
        return JSONResponse(DISABLED, status_code=503)
    full_scope = SyncScope(room_codes=None, date_from=None, date_to=None)
    return await _record(request, full_scope, source="sync_full", full=True)


async def sync_incremental(request: Request) -> Response:
    settings = ctx(request).runtime.settings
    if (denied := require_admin(request, settings.admin_token)) is not None:
        return denied
    if not settings.channex_enabled:
        return JSONResponse(DISABLED, status_code=503)
    scope = await _scope(request, strict=True)
    if isinstance(scope, Response):
        return scope
    return await _record(request, scope, source="sync_incremental", full=False)


def routes() -> list[BaseRoute]:
    return [
        Route("/webhook/pms", pms_webhook, methods=["POST"]),
        Route("/sync/full", sync_full, methods=["POST"]),
        Route("/sync/incremental", sync_incremental, methods=["POST"]),
    ]
