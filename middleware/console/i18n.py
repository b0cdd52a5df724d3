"""The console's words in English and Portuguese, chosen by the browser's `Accept-Language`."""

from __future__ import annotations

from collections.abc import Callable

LANGUAGES = ("en", "pt")
DEFAULT_LANGUAGE = "en"

EN: dict[str, str] = {
    "console": "Console",
    "nav": "Console pages",
    "attention": "Attention",
    "lanes": "Lanes",
    "calendar": "Calendar",
    "bookings": "Bookings",
    "calls": "Calls",
    "mapping": "Mapping",
    "sign_in": "Sign in",
    "sign_out": "Sign out",
    "admin_token": "Admin token",
    "sign_in_intro": "Sign in with the middleware's admin token (ADMIN_TOKEN).",
    "wrong_token": "That token is not the admin token.",
    "csrf_refused": "The form was stale or not ours: reload the page and try again.",
    "console_off": "The console is off: set ADMIN_TOKEN to turn it on.",
    "all_flowing": "All flowing: nothing needs a person.",
    "parked": "Bookings waiting for a person",
    "why": "Why",
    "age": "Waiting",
    "minutes": "min",
    "alarm_in": "Channex's non-ack alarm in {n} min",
    "alarm_passed": "past Channex's 30-minute non-ack alarm",
    "channel": "Channel",
    "code": "Reservation",
    "guest": "Guest",
    "dates": "Stay",
    "room_type": "Room type",
    "replay": "Replay",
    "mark_handled": "Mark handled",
    "handled_note": "What was done",
    "handled_name": "Your name (optional)",
    "next_step": "Next step",
    "technical": "Technical detail",
    "owed_acks": "Handled, but Channex has not taken the ack (its alarm still rings)",
    "retry_ack": "Try the ack again",
    "handled": "Handled",
    "channex_ack": "Ack at Channex",
    "ack_pending": "not sent yet",
    "ack_acked": "acked",
    "ack_failed": "failed",
    "ack_not_needed": "not needed (Channex does not know it)",
    "ack_not_sent": "not sent (Channex not connected)",
    "dead_letters": "Pushes Channex did not take (dead-lettered)",
    "retry": "Retry",
    "changes": "changes",
    "worker_stale": "The worker is not running",
    "warnings": "Channex warnings and notices",
    "property": "Hotel",
    "endpoint": "Endpoint",
    "pending": "Pending",
    "in_flight": "In flight",
    "last_push": "Last push",
    "result": "Result",
    "calls_window": "Calls in the current minute",
    "paused": "Paused by Channex (429)",
    "resumes_in": "resumes in",
    "not_paused": "not paused",
    "never": "never",
    "month": "Month",
    "field": "Field",
    "show": "Show",
    "pms_value": "PMS",
    "accepted_value": "Channex accepted",
    "readback_value": "Channex now",
    "read_back": "Read {kind} back from Channex (one call)",
    "resync": "Resync these dates",
    "differences": "Cells that differ",
    "no_differences": "No differences",
    "legend": "Each cell: the PMS value, then the value Channex last accepted"
    ", then Channex's own read-back when requested.",
    "pms_unreachable": "sistema-os could not be read",
    "readback_failed": "Channex could not be read back",
    "readback_busy": "No call slot free right now (pushes go first): try again in a moment.",
    "recent_bookings": "Recent OTA bookings",
    "timeline": "Timeline",
    "money": "Money and payment",
    "pms_bodies": "Sent to sistema-os",
    "total": "Total",
    "collects": "Collected by",
    "payment": "Payment",
    "status": "Status",
    "when": "When",
    "service": "Service",
    "method": "Method",
    "path": "Path",
    "values": "Values",
    "ms": "ms",
    "pushes": "Pushes",
    "payload_hash": "Payload SHA-256",
    "task_ids": "Task ids",
    "categoria": "Categoria",
    "plano": "Plano",
    "channex_id": "Channex id",
    "title": "Title in Channex",
    "in_channex": "In Channex",
    "found": "found",
    "missing": "missing",
    "unknown": "not checked",
    "done_replay": "Replaying: the worker takes it up now.",
    "done_handled_acked": "Marked handled and acked at Channex: its alarm stops.",
    "done_handled_ack_failed": "Marked handled, but Channex did not take the ack:"
    " try the ack again below.",
    "done_handled_not_sent": "Marked handled. Channex is not connected: it was not acked there.",
    "done_handled_not_needed": "Marked handled. Channex does not know this booking:"
    " nothing to ack.",
    "done_retry": "Dead letters back in the queue.",
    "done_resync": "Resync recorded: the worker reads sistema-os and pushes what differs.",
    "done_go_live": "Live: the full sync that pushes the whole horizon is recorded.",
    "integration_disabled": "The Channex integration is disabled (CHANNEX_ENABLED=false).",
    "live_since": "Live since {since} ({by})",
    "not_live": "Not live yet: nothing is sent to Channex until it goes live.",
    "go_live": "Go live",
    "go_live_hint": "Records this hotel live and a full sync of its whole horizon.",
    "not_parked": "That booking is not waiting any more.",
    "bad_request": "That request was not understood.",
    "live": "Live: this page refreshes itself.",
    "nothing": "Nothing yet.",
    "room": "Room",
    "apartment": "Apartment",
    "step_webhook": "webhook received",
    "step_fetched": "revision fetched",
    "step_applied": "applied in sistema-os",
    "step_acked": "acked at Channex",
    "step_pushed": "availability pushed",
    "mapping_intro": "Categorias and planos of sistema-os and the Channex ids they map to.",
    "language": "en",
}

PT: dict[str, str] = {
    "console": "Console",
    "nav": "Páginas do console",
    "attention": "Atenção",
    "lanes": "Filas",
    "calendar": "Calendário",
    "bookings": "Reservas",
    "calls": "Chamadas",
    "mapping": "Mapeamento",
    "sign_in": "Entrar",
    "sign_out": "Sair",
    "admin_token": "Token de administração",
    "sign_in_intro": "Entre com o token de administração do middleware (ADMIN_TOKEN).",
    "wrong_token": "Esse token não é o token de administração.",
    "csrf_refused": "O formulário expirou ou não é nosso: recarregue a página e tente de novo.",
    "console_off": "O console está desligado: defina ADMIN_TOKEN para ligá-lo.",
    "all_flowing": "Tudo fluindo: nada precisa de uma pessoa.",
    "parked": "Reservas esperando uma pessoa",
    "why": "Motivo",
    "age": "Esperando",
    "minutes": "min",
    "alarm_in": "alarme de não-confirmação da Channex em {n} min",
    "alarm_passed": "passou do alarme de 30 minutos da Channex",
    "channel": "Canal",
    "code": "Reserva",
    "guest": "Hóspede",
    "dates": "Estadia",
    "room_type": "Tipo de quarto",
    "replay": "Reprocessar",
    "mark_handled": "Marcar como resolvida",
    "handled_note": "O que foi feito",
    "handled_name": "Seu nome (opcional)",
    "next_step": "Próximo passo",
    "technical": "Detalhe técnico",
    "owed_acks": "Resolvidas, mas a Channex não aceitou a confirmação (o alarme continua)",
    "retry_ack": "Tentar confirmar de novo",
    "handled": "Resolvida",
    "channex_ack": "Confirmação na Channex",
    "ack_pending": "ainda não enviada",
    "ack_acked": "confirmada",
    "ack_failed": "falhou",
    "ack_not_needed": "desnecessária (a Channex não a conhece)",
    "ack_not_sent": "não enviada (Channex não conectada)",
    "dead_letters": "Envios que a Channex não aceitou (na fila morta)",
    "retry": "Tentar de novo",
    "changes": "alterações",
    "worker_stale": "O worker não está rodando",
    "warnings": "Avisos e notificações da Channex",
    "property": "Hotel",
    "endpoint": "Endpoint",
    "pending": "Pendentes",
    "in_flight": "Em envio",
    "last_push": "Último envio",
    "result": "Resultado",
    "calls_window": "Chamadas no minuto atual",
    "paused": "Pausado pela Channex (429)",
    "resumes_in": "volta em",
    "not_paused": "sem pausa",
    "never": "nunca",
    "month": "Mês",
    "field": "Campo",
    "show": "Mostrar",
    "pms_value": "PMS",
    "accepted_value": "Aceito pela Channex",
    "readback_value": "Channex agora",
    "read_back": "Ler {kind} de volta da Channex (uma chamada)",
    "resync": "Ressincronizar estas datas",
    "differences": "Células diferentes",
    "no_differences": "Nenhuma diferença",
    "legend": "Cada célula: o valor do PMS, depois o último valor aceito pela Channex"
    ", depois a leitura da própria Channex quando pedida.",
    "pms_unreachable": "Não foi possível ler o sistema-os",
    "readback_failed": "Não foi possível ler a Channex",
    "readback_busy": "Nenhuma vaga de chamada agora (envios primeiro): tente em instantes.",
    "recent_bookings": "Reservas recentes das OTAs",
    "timeline": "Linha do tempo",
    "money": "Valores e pagamento",
    "pms_bodies": "Enviado ao sistema-os",
    "total": "Total",
    "collects": "Cobrado por",
    "payment": "Pagamento",
    "status": "Situação",
    "when": "Quando",
    "service": "Serviço",
    "method": "Método",
    "path": "Caminho",
    "values": "Valores",
    "ms": "ms",
    "pushes": "Envios",
    "payload_hash": "SHA-256 do conteúdo",
    "task_ids": "Ids de tarefa",
    "categoria": "Categoria",
    "plano": "Plano",
    "channex_id": "Id na Channex",
    "title": "Título na Channex",
    "in_channex": "Na Channex",
    "found": "encontrado",
    "missing": "não encontrado",
    "unknown": "não verificado",
    "done_replay": "Reprocessando: o worker assume agora.",
    "done_handled_acked": "Marcada como resolvida e confirmada na Channex: o alarme para.",
    "done_handled_ack_failed": "Marcada como resolvida, mas a Channex não aceitou a confirmação:"
    " tente confirmar de novo abaixo.",
    "done_handled_not_sent": "Marcada como resolvida. A Channex não está conectada:"
    " não foi confirmada lá.",
    "done_handled_not_needed": "Marcada como resolvida. A Channex não conhece essa reserva:"
    " nada a confirmar.",
    "done_retry": "Envios mortos de volta à fila.",
    "done_resync": "Ressincronização registrada: o worker lê o sistema-os e envia o que difere.",
    "done_go_live": "No ar: a sincronização completa de todo o horizonte foi registrada.",
    "integration_disabled": "A integração com o Channex está desligada (CHANNEX_ENABLED=false).",
    "live_since": "No ar desde {since} ({by})",
    "not_live": "Ainda não está no ar: nada é enviado ao Channex até entrar no ar.",
    "go_live": "Colocar no ar",
    "go_live_hint": "Registra este hotel no ar e uma sincronização completa de todo o horizonte.",
    "not_parked": "Essa reserva não está mais esperando.",
    "bad_request": "Pedido não entendido.",
    "live": "Ao vivo: esta página se atualiza sozinha.",
    "nothing": "Nada ainda.",
    "room": "Quarto",
    "apartment": "Apartamento",
    "step_webhook": "webhook recebido",
    "step_fetched": "revisão obtida",
    "step_applied": "aplicada no sistema-os",
    "step_acked": "confirmada na Channex",
    "step_pushed": "disponibilidade enviada",
    "mapping_intro": "Categorias e planos do sistema-os e os ids da Channex que os representam.",
    "language": "pt-BR",
}

MESSAGES = {"en": EN, "pt": PT}


def choose_language(accept_language: str | None) -> str:
    """The first language of `LANGUAGES` the browser asks for, by its q-values; else English."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


# What `?done=` may name after a form (anything else shows no message: a crafted link cannot
# put another console text on the page as if it were the outcome of an action).
FLASHES = frozenset(
    key for key in EN if key.startswith("done_") or key in ("not_parked", "bad_request")
) | {"integration_disabled"}


def flash(key: str | None) -> str | None:
    """The flash key a redirect named, if it is one the console's forms send."""
    return key if key in FLASHES else None


def translator(language: str) -> Callable[..., str]:
    words = MESSAGES.get(language, EN)

    def t(key: str, **values: object) -> str:
        text = words.get(key, EN.get(key, key))
        return text.format(**values) if values else text

    return t
