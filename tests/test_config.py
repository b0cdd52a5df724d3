"""Settings: defaults, parsing, one error naming every problem, masked secrets."""

from pathlib import Path

import pytest

from middleware.config import Settings, load_settings
from middleware.errors import ConfigError


def test_defaults_with_only_the_required_key() -> None:
    settings = load_settings({"CHANNEX_API_KEY": "k-123456"}, env_file=None)
    assert settings.channex_base_url == "https://staging.channex.io/api/v1"
    assert settings.channex_price_rate_limit == 10
    assert settings.channex_avail_rate_limit == 10
    assert settings.channex_sync_days == 500
    assert settings.weekend_days == (4, 5)
    assert settings.channex_webhook_secret_header == "X-Channex-Webhook-Secret"
    assert settings.mapping_file == Path("data/mapping.json")
    assert settings.database_path == Path("data/middleware.db")
    assert (settings.worker_interval_s, settings.worker_batch_size, settings.port) == (
        5.0,
        50,
        8001,
    )


def test_every_problem_is_named_in_one_error() -> None:
    environ = {
        "CHANNEX_ENABLED": "maybe",
        "CHANNEX_SYNC_DAYS": "ten",
        "WEEKEND_DAYS": "4,9",
        "CHANNEX_ALLOWED_IPS": "10.0.0.0/8,not-an-ip",
        "PORT": "70000",
        "PMS_BASE_URL": "ftp://pms",
    }
    with pytest.raises(ConfigError) as caught:
        load_settings(environ, env_file=None)
    assert caught.value.problems == (
        "CHANNEX_ENABLED=maybe: expected true or false",
        "CHANNEX_ALLOWED_IPS=10.0.0.0/8,not-an-ip: expected IPs or CIDRs, commas",
        "CHANNEX_SYNC_DAYS=ten: expected an integer",
        "WEEKEND_DAYS=4,9: expected weekdays 0-6, commas",
        "PMS_BASE_URL=ftp://pms: expected an http(s) URL",
        "PORT=70000: must be >= 1 and <= 65535",
        "CHANNEX_API_KEY is required while CHANNEX_ENABLED is true",
    )


def test_secrets_are_masked_in_repr_and_error_text() -> None:
    settings = load_settings(
        {"CHANNEX_API_KEY": "sk-live-abcdef", "ADMIN_TOKEN": "adm-987654"}, env_file=None
    )
    assert "sk-live-abcdef" not in repr(settings)
    assert "adm-987654" not in repr(settings)
    assert settings.channex_api_key is not None
    assert str(settings.channex_api_key) == "sk-live-abcdef"


def test_env_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("CHANNEX_API_KEY=from-file\nCHANNEX_SYNC_DAYS=30\nPORT=9000\n")
    settings = load_settings({"PORT": "9100"}, env_file=env_file)
    assert str(settings.channex_api_key) == "from-file"
    assert (settings.channex_sync_days, settings.port) == (30, 9100)


def test_disabled_integration_needs_no_key_and_parses_networks() -> None:
    settings = load_settings(
        {"CHANNEX_ENABLED": "false", "CHANNEX_ALLOWED_IPS": "127.0.0.1, 10.1.0.0/16"}, None
    )
    assert settings.channex_enabled is False
    assert [str(n) for n in settings.channex_allowed_ips] == ["127.0.0.1/32", "10.1.0.0/16"]


def test_env_example_documents_every_setting_and_loads() -> None:
    """`.env.example` loads as-is (with a key filled in) and names every Settings field."""
    example = Path(__file__).resolve().parent.parent / ".env.example"
    settings = load_settings({"CHANNEX_API_KEY": "k-123456"}, env_file=example)
    assert settings.channex_rate_format == "auto"
    names = {
        line.split("=", 1)[0]
        for line in example.read_text().splitlines()
        if "=" in line and not line.startswith("#")
    }
    # pms_secrets has no variable of its own: it gathers PMS_API_TOKEN_<NAME> (documented)
    assert len(names) == len(Settings.__dataclass_fields__) - 1


@pytest.mark.parametrize(
    ("url", "problems"),
    [
        ("postgresql://mw:s3cret-pw@127.0.0.1:5432/hotels", ()),
        ("postgres://mw:s3cret-pw@127.0.0.1/hotels", ()),
        ("mysql://mw:s3cret-pw@127.0.0.1/hotels", ("DATABASE_URL: expected a postgresql:// URL",)),
        ("sqlite:///data/m.db", ("DATABASE_URL: expected a postgresql:// URL",)),
    ],
)
def test_database_url_must_be_postgresql_and_is_never_quoted(
    url: str, problems: tuple[str, ...]
) -> None:
    """Refused when the settings load (every entry point exits 2 naming it), not later when
    the store opens; the URL carries a password and is never echoed."""
    environ = {"CHANNEX_API_KEY": "k", "DATABASE_URL": url}
    if not problems:
        settings = load_settings(environ, env_file=None)
        assert settings.database_url is not None and str(settings.database_url) == url
        assert "s3cret-pw" not in repr(settings)
        return
    with pytest.raises(ConfigError) as caught:
        load_settings(environ, env_file=None)
    assert caught.value.problems == problems
    assert "s3cret-pw" not in str(caught.value)
