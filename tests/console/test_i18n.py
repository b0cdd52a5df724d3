"""The console's language follows the browser's Accept-Language."""

from __future__ import annotations

import pytest

from middleware.console import i18n


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("pt-BR,pt;q=0.9,en;q=0.8", "pt"),
        ("en-US,en;q=0.9,pt;q=0.5", "en"),
        ("fr-FR,pt;q=0.7,en;q=0.6", "pt"),
        ("en;q=0.4, pt-PT;q=0.6", "pt"),
        ("pt;q=0, en", "en"),
        ("de-DE", "en"),
        ("", "en"),
        (None, "en"),
        ("pt;q=abc", "en"),
    ],
)
def test_choose_language(header: str | None, language: str) -> None:
    assert i18n.choose_language(header) == language


def test_both_languages_have_every_word() -> None:
    assert set(i18n.PT) == set(i18n.EN)
    assert i18n.translator("pt")("alarm_in", n=3) == "alarme de não-confirmação da Channex em 3 min"
    assert i18n.translator("en")("attention") == "Attention"
