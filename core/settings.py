"""One typed settings object, read from the environment (12-factor; PaaS variable names)."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from core.errors import ConfigError

ENVIRONMENTS = ("production", "development", "test")
# Secrets a production process refuses to start without, in the order they are reported.
REQUIRED_IN_PRODUCTION = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "API_TOKEN", "SECRET_KEY")


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with the defaults a fresh clone runs on."""

    env: str = "production"
    data_dir: Path = Path("data")
    database_url: str = ""
    redis_url: str | None = None
    port: int = 8000
    public_base_url: str = ""
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    flows_dir: Path = Path("flows")
    recordings_dir: Path = Path("recordings")
    recording_hosts: tuple[str, ...] = ("api.twilio.com",)
    recording_max_bytes: int = 100 * 1024 * 1024
    vosk_model_path: Path | None = None
    vosk_models: Mapping[str, Path] = field(default_factory=dict)
    default_region: str = "JP"
    api_token: str = ""
    secret_key: str = ""
    log_format: str = "json"
    log_level: str = "INFO"
    thread_window_days: int = 7
    web_concurrency: int = 2
    flows_reload_seconds: float = 1.0
    call_state_commit: str = "async"       # sync: every keypress waits for PostgreSQL's disk
    worker_heartbeat_seconds: int = 10
    worker_sweep_seconds: float = 60.0
    inbox_amber_minutes: int = 60          # desk inbox: customer waiting this long turns amber
    inbox_red_minutes: int = 240           # ... and this long turns red
    smtp_url: str = ""                     # outbound mail: smtp://user:pass@host:port (smtps://)
    smtp_from: str = ""                    # From of agents' email replies
    generated_secrets: tuple[str, ...] = ()

    @property
    def production(self) -> bool:
        return self.env == "production"

    def model_path_for(self, language: str | None) -> Path | None:
        """The Vosk model for a language: its own entry in VOSK_MODELS, else VOSK_MODEL_PATH."""
        if language and language in self.vosk_models:
            return self.vosk_models[language]
        return self.vosk_model_path

    def missing_secrets(self) -> list[str]:
        values = {
            "TWILIO_ACCOUNT_SID": self.twilio_account_sid,
            "TWILIO_AUTH_TOKEN": self.twilio_auth_token,
            "API_TOKEN": self.api_token,
            "SECRET_KEY": self.secret_key,
        }
        return [name for name in REQUIRED_IN_PRODUCTION if not values[name]]

    def check(self) -> Settings:
        """Refuse to run in production without the secrets, naming each missing variable."""
        missing = self.missing_secrets()
        if self.production and missing:
            raise ConfigError(
                f"Refusing to start in production: {', '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} not set. Set "
                f"{'it' if len(missing) == 1 else 'them'} in the environment, or run "
                "`ivr demo` (or IVR_ENV=development) to use generated development secrets."
            )
        return self

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the environment; in development, fill absent secrets from data/dev-secrets.json."""
        env = dict(os.environ if environ is None else environ)
        get = lambda name, default="": env.get(name, "").strip() or default  # noqa: E731
        mode = get("IVR_ENV", "production").lower()
        if mode not in ENVIRONMENTS:
            raise ConfigError(f"IVR_ENV must be one of {', '.join(ENVIRONMENTS)}, not {mode!r}.")
        data_dir = Path(get("IVR_DATA_DIR", "data"))
        port = _int(get("PORT", "8000"), "PORT")
        settings = cls(
            env=mode,
            data_dir=data_dir,
            database_url=database_url(get("DATABASE_URL"), data_dir),
            redis_url=get("REDIS_URL") or None,
            port=port,
            public_base_url=get("PUBLIC_BASE_URL", f"http://localhost:{port}").rstrip("/"),
            twilio_account_sid=get("TWILIO_ACCOUNT_SID"),
            twilio_auth_token=get("TWILIO_AUTH_TOKEN"),
            flows_dir=Path(get("FLOWS_DIR", "flows")),
            recordings_dir=Path(get("RECORDINGS_DIR", "recordings")),
            recording_hosts=tuple(
                h.strip().lower() for h in get("RECORDING_HOSTS", "api.twilio.com").split(",")
                if h.strip()
            ),
            recording_max_bytes=_int(get("RECORDING_MAX_BYTES", str(cls.recording_max_bytes)),
                                     "RECORDING_MAX_BYTES"),
            vosk_model_path=Path(get("VOSK_MODEL_PATH")) if get("VOSK_MODEL_PATH") else None,
            vosk_models=_language_map(get("VOSK_MODELS")),
            default_region=get("DEFAULT_REGION", "JP").upper(),
            api_token=get("API_TOKEN"),
            secret_key=get("SECRET_KEY"),
            log_format=get("LOG_FORMAT", "json").lower(),
            log_level=get("LOG_LEVEL", "INFO").upper(),
            thread_window_days=_int(get("TICKET_THREAD_WINDOW_DAYS", "7"),
                                    "TICKET_THREAD_WINDOW_DAYS"),
            web_concurrency=_int(get("WEB_CONCURRENCY", "2"), "WEB_CONCURRENCY"),
            flows_reload_seconds=float(get("FLOWS_RELOAD_SECONDS", "1.0")),
            call_state_commit=get("CALL_STATE_COMMIT", "async").lower(),
            worker_heartbeat_seconds=_int(get("WORKER_HEARTBEAT_SECONDS", "10"),
                                          "WORKER_HEARTBEAT_SECONDS"),
            worker_sweep_seconds=float(get("WORKER_SWEEP_SECONDS", "60")),
            inbox_amber_minutes=_int(get("INBOX_AMBER_MINUTES", "60"), "INBOX_AMBER_MINUTES"),
            inbox_red_minutes=_int(get("INBOX_RED_MINUTES", "240"), "INBOX_RED_MINUTES"),
            smtp_url=get("SMTP_URL"),
            smtp_from=get("SMTP_FROM"),
        )
        if not 0 < settings.inbox_amber_minutes <= settings.inbox_red_minutes:
            raise ConfigError(f"INBOX_AMBER_MINUTES ({settings.inbox_amber_minutes}) must be "
                              f"positive and at most INBOX_RED_MINUTES "
                              f"({settings.inbox_red_minutes}).")
        if settings.call_state_commit not in ("async", "sync"):
            raise ConfigError(f"CALL_STATE_COMMIT must be async or sync, not "
                              f"{settings.call_state_commit!r}.")
        if settings.log_format not in ("json", "logfmt"):
            raise ConfigError(f"LOG_FORMAT must be json or logfmt, not {settings.log_format!r}.")
        if not settings.production:
            settings = _fill_dev_secrets(settings)
        return settings

    def as_table(self) -> list[tuple[str, str]]:
        """Settings for display, secrets masked."""
        hidden = {"twilio_auth_token", "api_token", "secret_key", "smtp_url"}
        rows = []
        for f in fields(self):
            value = getattr(self, f.name)
            rows.append((f.name, "***" if f.name in hidden and value else str(value)))
        return rows


def database_url(raw: str, data_dir: Path) -> str:
    """Accept PaaS-style postgres:// URLs; default to a SQLite file in the data folder."""
    if not raw:
        return f"sqlite:///{(data_dir / 'ivr.sqlite3').resolve()}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    return raw


def _int(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}.") from None


def _language_map(raw: str) -> dict[str, Path]:
    """Parse VOSK_MODELS, e.g. 'ja-JP=/models/ja,en-US=/models/en'."""
    result: dict[str, Path] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        language, sep, path = item.partition("=")
        if not sep or not language.strip() or not path.strip():
            raise ConfigError(f"VOSK_MODELS entries look like ja-JP=/path/to/model, not {item!r}.")
        result[language.strip()] = Path(path.strip())
    return result


def _fill_dev_secrets(settings: Settings) -> Settings:
    """Development only: generate missing secrets once and keep them in the data folder."""
    missing = settings.missing_secrets()
    if not missing:
        return settings
    path = settings.data_dir / "dev-secrets.json"
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text())
    generated = {
        "TWILIO_ACCOUNT_SID": lambda: "AC" + secrets.token_hex(16),
        "TWILIO_AUTH_TOKEN": lambda: secrets.token_hex(16),
        "API_TOKEN": lambda: secrets.token_urlsafe(24),
        "SECRET_KEY": lambda: secrets.token_urlsafe(32),
    }
    changed = False
    for name in missing:
        if name not in stored:
            stored[name] = generated[name]()
            changed = True
    if changed:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(stored, indent=2))
        path.chmod(0o600)
    attr = {"TWILIO_ACCOUNT_SID": "twilio_account_sid", "TWILIO_AUTH_TOKEN": "twilio_auth_token",
            "API_TOKEN": "api_token", "SECRET_KEY": "secret_key"}
    return replace(settings, generated_secrets=tuple(missing),
                   **{attr[name]: stored[name] for name in missing})
