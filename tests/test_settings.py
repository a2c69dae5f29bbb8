"""Settings come from the environment; production refuses to start without its secrets."""

import json

import pytest

from core.errors import ConfigError
from core.settings import Settings

SECRETS = {"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "tok", "API_TOKEN": "api",
           "SECRET_KEY": "key"}


def test_defaults_on_a_fresh_machine(tmp_path):
    s = Settings.from_env({"IVR_ENV": "development", "IVR_DATA_DIR": str(tmp_path)})
    assert s.port == 8000
    assert s.public_base_url == "http://localhost:8000"
    assert s.database_url == f"sqlite:///{(tmp_path / 'ivr.sqlite3').resolve()}"
    assert s.redis_url is None
    assert s.recording_hosts == ("api.twilio.com",)
    assert s.default_region == "JP"
    assert s.vosk_model_path is None
    assert str(s.flows_dir) == "flows" and str(s.recordings_dir) == "recordings"


@pytest.mark.parametrize("raw, expected", [
    ("postgres://u:p@db.example:5432/app", "postgresql+psycopg://u:p@db.example:5432/app"),
    ("postgresql://u@h/app", "postgresql+psycopg://u@h/app"),
    ("postgresql+psycopg://u@h/app", "postgresql+psycopg://u@h/app"),
    ("sqlite:////srv/core.db", "sqlite:////srv/core.db"),
])
def test_database_url_accepts_paas_style(raw, expected):
    env = {**SECRETS, "DATABASE_URL": raw}
    assert Settings.from_env(env).database_url == expected


def test_public_base_url_follows_port():
    s = Settings.from_env({**SECRETS, "PORT": "5005"})
    assert (s.port, s.public_base_url) == (5005, "http://localhost:5005")


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_production_refuses_to_start_naming_the_missing_variable(missing):
    env = {k: v for k, v in SECRETS.items() if k != missing}
    with pytest.raises(ConfigError, match=rf"Refusing to start in production: {missing} is not set"):
        Settings.from_env(env).check()


def test_production_is_the_default_and_names_every_missing_secret():
    with pytest.raises(ConfigError) as err:
        Settings.from_env({}).check()
    for name in SECRETS:
        assert name in str(err.value)


def test_development_generates_secrets_once_and_says_so(tmp_path):
    env = {"IVR_ENV": "development", "IVR_DATA_DIR": str(tmp_path)}
    first = Settings.from_env(env).check()
    second = Settings.from_env(env)
    assert set(first.generated_secrets) == set(SECRETS)
    assert first.twilio_auth_token and first.twilio_auth_token == second.twilio_auth_token
    assert first.api_token == second.api_token and first.secret_key == second.secret_key
    stored = json.loads((tmp_path / "dev-secrets.json").read_text())
    assert stored["API_TOKEN"] == first.api_token
    assert (tmp_path / "dev-secrets.json").stat().st_mode & 0o777 == 0o600


def test_development_keeps_secrets_given_in_the_environment(tmp_path):
    env = {"IVR_ENV": "development", "IVR_DATA_DIR": str(tmp_path), "API_TOKEN": "mine"}
    s = Settings.from_env(env)
    assert s.api_token == "mine" and "API_TOKEN" not in s.generated_secrets


@pytest.mark.parametrize("env, message", [
    ({"IVR_ENV": "staging"}, "IVR_ENV must be one of"),
    ({"PORT": "eighty"}, "PORT must be a whole number, not 'eighty'"),
    ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be json or logfmt"),
    ({"CALL_STATE_COMMIT": "later"}, "CALL_STATE_COMMIT must be async or sync, not 'later'"),
    ({"VOSK_MODELS": "ja-JP"}, "VOSK_MODELS entries look like"),
])
def test_bad_values_are_named(env, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({**SECRETS, **env})


def test_model_per_language_falls_back_to_the_default_model():
    s = Settings.from_env({**SECRETS, "VOSK_MODEL_PATH": "/m/default",
                           "VOSK_MODELS": "ja-JP=/m/ja, en-US=/m/en"})
    assert str(s.model_path_for("ja-JP")) == "/m/ja"
    assert str(s.model_path_for("ko-KR")) == "/m/default"
    assert str(s.model_path_for(None)) == "/m/default"


def test_recording_hosts_are_a_list():
    s = Settings.from_env({**SECRETS, "RECORDING_HOSTS": "api.twilio.com, Media.Example:8443"})
    assert s.recording_hosts == ("api.twilio.com", "media.example:8443")
