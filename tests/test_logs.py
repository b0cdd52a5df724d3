"""The masking processor: secrets, e-mail and phone never reach a rendered line."""

import io

import orjson
import pytest
import structlog

from middleware import logs


def _render(**event: object) -> dict[str, object]:
    stream = io.StringIO()
    logs.configure_logging("DEBUG", as_json=True, stream=stream, secrets=["sk-secret-value-1"])
    structlog.get_logger().info("evt", **event)
    line = stream.getvalue().strip()
    parsed: dict[str, object] = orjson.loads(line)
    return parsed


def test_secret_keys_contact_keys_and_patterns_are_masked() -> None:
    out = _render(
        api_key="k1",
        headers={"user-api-key": "k2", "Authorization": "Bearer t", "Accept": "json"},
        body={"hospede_email": "maria@example.com", "hospede_telefone": "+55 11 99999-0000"},
        note="call maria@example.com or +55 11 98888-7777 about BDC-9996013801 on 2026-11-21",
        url="https://x.test/?key=sk-secret-value-1",
    )
    assert out["api_key"] == "***"
    assert out["headers"] == {"user-api-key": "***", "Authorization": "***", "Accept": "json"}
    assert out["body"] == {"hospede_email": "***", "hospede_telefone": "***"}
    assert out["note"] == "call m***@*** or *** about BDC-9996013801 on 2026-11-21"
    assert out["url"] == "https://x.test/?key=***"


def test_exception_text_is_scrubbed() -> None:
    stream = io.StringIO()
    logs.configure_logging("INFO", as_json=True, stream=stream, secrets=["tok-abcdef"])
    try:
        raise RuntimeError("failed for ana@hotel.com with tok-abcdef")
    except RuntimeError:
        structlog.get_logger().exception("boom")
    line = stream.getvalue()
    assert "ana@hotel.com" not in line
    assert "tok-abcdef" not in line
    assert orjson.loads(line)["event"] == "boom"


def test_phone_numbers_in_common_formats() -> None:
    assert logs.mask_text("tel (11) 99999-0000") == "tel ***"
    assert logs.mask_text("tel +1 415 555 0100") == "tel ***"
    assert logs.mask_text("id 12345678901 ref") == "id 12345678901 ref"
    assert logs.mask_text("uuid 7c504651-9b33-48bc-9896-892c351f3736") == (
        "uuid 7c504651-9b33-48bc-9896-892c351f3736"
    )


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("card 4000056655665556 on file", "card *** on file"),
        ("card 4000 0566 5566 5556.", "card ***."),
        ("amex 3782-822463-10005", "amex ***"),
        ("masked 400005******5556 too", "masked *** too"),
        (
            "cvv=9731, CVC: 123, exp 10/2031, validade 10/31",
            "cvv=***, CVC: ***, exp ***, validade ***",
        ),
        # Not cards: a Luhn-invalid run, ids, dates, amounts, durations.
        ("order 4000056655665557", "order 4000056655665557"),
        ("BDC-9996013801 rev 12331233123", "BDC-9996013801 rev 12331233123"),
        ("2026-12-10 total 1350.00 took 737 ms", "2026-12-10 total 1350.00 took 737 ms"),
    ],
)
def test_card_data_in_text_is_masked(text: str, masked: str) -> None:
    assert logs.mask_text(text) == masked


def test_card_keys_are_masked_and_stored_values_keep_everything_else() -> None:
    guarantee = {
        "card_number": "4000056655665556",
        "cvv": "9731",
        "expiration_date": "10/2031",
        "cardholder_name": "Ana Lima",
        "card_type": "VI",
        "is_virtual": True,
    }
    expected = {
        "card_number": "***",
        "cvv": "***",
        "expiration_date": "***",
        "cardholder_name": "***",
        "card_type": "VI",
        "is_virtual": True,
    }
    assert logs.mask_value({"guarantee": guarantee}) == {"guarantee": expected}
    stored = {"guarantee": guarantee, "customer": {"mail": "ana@example.com"}, "n": [1]}
    assert logs.scrub_card_data(stored) == {
        "guarantee": expected,
        "customer": {"mail": "ana@example.com"},  # contact data may be stored; cards never
        "n": [1],
    }
