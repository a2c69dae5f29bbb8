"""One typed settings object, read from the environment (12-factor; PaaS variable names).

The platform's own settings are fields of `Settings`; each feature's knobs are one section
(`settings.telephony`, `settings.desk`, ...), a frozen dataclass that reads its own variables.
Every setting also has one flat name, its environment variable in lower case as it always was
(`smtp_url`, `flows_dir`): `Settings(smtp_url=...)`, `settings.with_(flows_dir=...)` and
`settings.smtp_url` route that name to its section, for scripts and tests.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from core.errors import ConfigError

ENVIRONMENTS = ("production", "development", "test")
# Secrets a production process refuses to start without, in the order they are reported.
REQUIRED_IN_PRODUCTION = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "API_TOKEN", "SECRET_KEY")
HIDDEN = {"twilio_auth_token", "twilio_api_key_secret", "api_token", "secret_key", "smtp_url"}

Get = Callable[..., str]  # get(NAME, default="") -> the stripped value, or the default


# ---- sections: one per feature --------------------------------------------------------------

@dataclass(frozen=True)
class TwilioSettings:
    """The carrier account: signatures of webhooks, recording downloads, the REST API."""

    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_api_base_url: str = "https://api.twilio.com"   # every REST request goes here
    twilio_api_key_sid: str = ""        # when set (with the secret), REST requests use the key
    twilio_api_key_secret: str = ""
    twilio_twiml_app_sid: str = ""      # the TwiML App whose Voice URL is /twilio/client

    @property
    def softphone_missing(self) -> list[str]:
        """What the desk's softphone still needs (its access tokens are signed with the key)."""
        values = {"TWILIO_ACCOUNT_SID": self.twilio_account_sid,
                  "TWILIO_API_KEY_SID": self.twilio_api_key_sid,
                  "TWILIO_API_KEY_SECRET": self.twilio_api_key_secret,
                  "TWILIO_TWIML_APP_SID": self.twilio_twiml_app_sid}
        return [name for name, value in values.items() if not value]

    @property
    def rest_auth(self) -> tuple[str, str]:
        """Basic auth for the REST API: the API key when one is set, else the account."""
        if self.twilio_api_key_sid and self.twilio_api_key_secret:
            return self.twilio_api_key_sid, self.twilio_api_key_secret
        return self.twilio_account_sid, self.twilio_auth_token

    @classmethod
    def from_env(cls, get: Get) -> TwilioSettings:
        base = get("TWILIO_API_BASE_URL", "https://api.twilio.com").rstrip("/")
        if not base.startswith(("https://", "http://")):
            raise ConfigError(f"TWILIO_API_BASE_URL must be an http(s) origin such as "
                              f"https://api.twilio.com, not {base!r}.")
        key, secret = get("TWILIO_API_KEY_SID"), get("TWILIO_API_KEY_SECRET")
        if bool(key) != bool(secret):
            raise ConfigError("TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET go together; set "
                              "both or neither.")
        app = get("TWILIO_TWIML_APP_SID")
        if app and not re.fullmatch(r"AP[0-9a-fA-F]{32}", app):
            raise ConfigError(f"TWILIO_TWIML_APP_SID must be a TwiML App SID (AP followed by 32 "
                              f"hexadecimal digits), not {app!r}.")
        return cls(get("TWILIO_ACCOUNT_SID"), get("TWILIO_AUTH_TOKEN"), base, key, secret, app)


@dataclass(frozen=True)
class TelephonySettings:
    """Flows and calls (ivr/)."""

    flows_dir: Path = Path("flows")
    flows_reload_seconds: float = 1.0
    call_state_commit: str = "async"       # sync: every keypress waits for PostgreSQL's disk

    @classmethod
    def from_env(cls, get: Get) -> TelephonySettings:
        commit = get("CALL_STATE_COMMIT", "async").lower()
        if commit not in ("async", "sync"):
            raise ConfigError(f"CALL_STATE_COMMIT must be async or sync, not {commit!r}.")
        return cls(Path(get("FLOWS_DIR", "flows")),
                   _float(get("FLOWS_RELOAD_SECONDS", "1.0"), "FLOWS_RELOAD_SECONDS"), commit)


@dataclass(frozen=True)
class RecordingSettings:
    """Where recordings are kept and where they may be downloaded from (voicemail/)."""

    recordings_dir: Path = Path("recordings")
    recording_hosts: tuple[str, ...] = ("api.twilio.com",)
    recording_max_bytes: int = 100 * 1024 * 1024

    @classmethod
    def from_env(cls, get: Get) -> RecordingSettings:
        hosts = tuple(h.strip().lower() for h in get("RECORDING_HOSTS", "api.twilio.com")
                      .split(",") if h.strip())
        return cls(Path(get("RECORDINGS_DIR", "recordings")), hosts,
                   _int(get("RECORDING_MAX_BYTES", str(cls.recording_max_bytes)),
                        "RECORDING_MAX_BYTES"))


@dataclass(frozen=True)
class TranscriptionSettings:
    """Speech models and the workers' rhythm (transcription/)."""

    vosk_model_path: Path | None = None
    vosk_models: Mapping[str, Path] = field(default_factory=dict)
    worker_sweep_seconds: float = 60.0

    def model_path_for(self, language: str | None) -> Path | None:
        """The Vosk model for a language: its own entry in VOSK_MODELS, else VOSK_MODEL_PATH."""
        if language and language in self.vosk_models:
            return self.vosk_models[language]
        return self.vosk_model_path

    @classmethod
    def from_env(cls, get: Get) -> TranscriptionSettings:
        return cls(Path(get("VOSK_MODEL_PATH")) if get("VOSK_MODEL_PATH") else None,
                   _language_map(get("VOSK_MODELS")),
                   _float(get("WORKER_SWEEP_SECONDS", "60"), "WORKER_SWEEP_SECONDS"))


@dataclass(frozen=True)
class CrmSettings:
    """How contacts thread onto tickets (crm_link/)."""

    thread_window_days: int = 7

    @classmethod
    def from_env(cls, get: Get) -> CrmSettings:
        return cls(_int(get("TICKET_THREAD_WINDOW_DAYS", "7"), "TICKET_THREAD_WINDOW_DAYS"))


@dataclass(frozen=True)
class DeskSettings:
    """The agent desk: inbox colours and outbound mail (desk/)."""

    inbox_amber_minutes: int = 60          # a customer waiting this long turns amber
    inbox_red_minutes: int = 240           # ... and this long turns red
    smtp_url: str = ""                     # outbound mail: smtp://user:pass@host:port (smtps://)
    smtp_from: str = ""                    # From of agents' email replies
    desk_offline_seconds: int = 60         # no live desk this long: the agent goes offline (0: never)

    @classmethod
    def from_env(cls, get: Get) -> DeskSettings:
        section = cls(_int(get("INBOX_AMBER_MINUTES", "60"), "INBOX_AMBER_MINUTES"),
                      _int(get("INBOX_RED_MINUTES", "240"), "INBOX_RED_MINUTES"),
                      get("SMTP_URL"), get("SMTP_FROM"),
                      _int(get("DESK_OFFLINE_SECONDS", "60"), "DESK_OFFLINE_SECONDS"))
        if section.desk_offline_seconds < 0:
            raise ConfigError(f"DESK_OFFLINE_SECONDS ({section.desk_offline_seconds}) must be 0 "
                              "(never) or a number of seconds.")
        if not 0 < section.inbox_amber_minutes <= section.inbox_red_minutes:
            raise ConfigError(f"INBOX_AMBER_MINUTES ({section.inbox_amber_minutes}) must be "
                              f"positive and at most INBOX_RED_MINUTES "
                              f"({section.inbox_red_minutes}).")
        return section


SECTIONS: dict[str, type] = {
    "twilio": TwilioSettings, "telephony": TelephonySettings, "recordings": RecordingSettings,
    "transcription": TranscriptionSettings, "crm": CrmSettings, "desk": DeskSettings,
}
# flat name -> the section holding it (each flat name is unique across sections)
OWNER: dict[str, str] = {f.name: section for section, kind in SECTIONS.items()
                         for f in fields(kind)}


# ---- the whole ------------------------------------------------------------------------------

@dataclass(frozen=True, init=False)
class Settings:
    """Everything configurable, with the defaults a fresh clone runs on."""

    env: str
    data_dir: Path
    database_url: str
    redis_url: str | None
    port: int
    public_base_url: str
    api_token: str
    secret_key: str
    default_region: str                    # region for national phone formats (03-…, 090-…)
    log_format: str
    log_level: str
    web_concurrency: int
    worker_heartbeat_seconds: int          # how often a busy worker says it is alive
    generated_secrets: tuple[str, ...]
    twilio: TwilioSettings
    telephony: TelephonySettings
    recordings: RecordingSettings
    transcription: TranscriptionSettings
    crm: CrmSettings
    desk: DeskSettings

    CORE_DEFAULTS = {"env": "production", "data_dir": Path("data"), "database_url": "",
                     "redis_url": None, "port": 8000, "public_base_url": "", "api_token": "",
                     "secret_key": "", "default_region": "JP", "log_format": "json",
                     "log_level": "INFO", "web_concurrency": 2, "worker_heartbeat_seconds": 10,
                     "generated_secrets": ()}

    def __init__(self, **values):
        """Core fields and sections by name, or any section's setting by its flat name."""
        by_section: dict[str, dict] = {name: {} for name in SECTIONS}
        for name, value in values.items():
            if name in OWNER:
                by_section[OWNER[name]][name] = value
            elif name not in self.CORE_DEFAULTS and name not in SECTIONS:
                raise TypeError(f"Settings has no setting named {name!r}.")
        for name, default in self.CORE_DEFAULTS.items():
            object.__setattr__(self, name, values.get(name, default))
        for name, kind in SECTIONS.items():
            section = values.get(name) or kind()
            object.__setattr__(self, name, replace(section, **by_section[name]))

    def __getattr__(self, name: str):
        """A section's setting by its flat name (`settings.smtp_url`)."""
        section = OWNER.get(name)
        if section is None:
            raise AttributeError(f"Settings has no setting named {name!r}.")
        return getattr(getattr(self, section), name)

    @property
    def production(self) -> bool:
        return self.env == "production"

    def model_path_for(self, language: str | None) -> Path | None:
        return self.transcription.model_path_for(language)

    def flat(self) -> dict:
        """Every setting by its flat name."""
        values = {name: getattr(self, name) for name in self.CORE_DEFAULTS}
        for name in SECTIONS:
            section = getattr(self, name)
            values.update({f.name: getattr(section, f.name) for f in fields(section)})
        return values

    def with_(self, **changes) -> Settings:
        """A copy with some settings changed, each named by its flat name."""
        return Settings(**{**self.flat(), **changes})

    def missing_secrets(self) -> list[str]:
        values = {"TWILIO_ACCOUNT_SID": self.twilio.twilio_account_sid,
                  "TWILIO_AUTH_TOKEN": self.twilio.twilio_auth_token,
                  "API_TOKEN": self.api_token, "SECRET_KEY": self.secret_key}
        return [name for name in REQUIRED_IN_PRODUCTION if not values[name]]

    def check(self) -> Settings:
        """Refuse to run in production without the secrets, naming each missing variable."""
        missing = self.missing_secrets()
        if self.production and missing:
            one = len(missing) == 1
            raise ConfigError(
                f"Refusing to start in production: {', '.join(missing)} "
                f"{'is' if one else 'are'} not set. Set {'it' if one else 'them'} in the "
                "environment, or run `ivr demo` (or IVR_ENV=development) to use generated "
                "development secrets.")
        return self

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
        log_format = get("LOG_FORMAT", "json").lower()
        if log_format not in ("json", "logfmt"):
            raise ConfigError(f"LOG_FORMAT must be json or logfmt, not {log_format!r}.")
        settings = cls(
            env=mode, data_dir=data_dir,
            database_url=database_url(get("DATABASE_URL"), data_dir),
            redis_url=get("REDIS_URL") or None, port=port,
            public_base_url=get("PUBLIC_BASE_URL", f"http://localhost:{port}").rstrip("/"),
            api_token=get("API_TOKEN"), secret_key=get("SECRET_KEY"),
            default_region=get("DEFAULT_REGION", "JP").upper(), log_format=log_format,
            log_level=get("LOG_LEVEL", "INFO").upper(),
            web_concurrency=_int(get("WEB_CONCURRENCY", "2"), "WEB_CONCURRENCY"),
            worker_heartbeat_seconds=_int(get("WORKER_HEARTBEAT_SECONDS", "10"),
                                          "WORKER_HEARTBEAT_SECONDS"),
            **{name: kind.from_env(get) for name, kind in SECTIONS.items()})
        if not settings.production:
            settings = _fill_dev_secrets(settings)
        return settings

    def as_table(self) -> list[tuple[str, str]]:
        """Settings for display, secrets masked."""
        return [(name, "***" if name in HIDDEN and value else str(value))
                for name, value in self.flat().items()]


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


def _float(value: str, name: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {value!r}.") from None


def _language_map(raw: str) -> dict[str, Path]:
    """Parse VOSK_MODELS, e.g. 'ja-JP=/models/ja,en-US=/models/en'."""
    result: dict[str, Path] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        language, sep, path = item.partition("=")
        if not sep or not language.strip() or not path.strip():
            raise ConfigError(f"VOSK_MODELS entries look like ja-JP=/path/to/model, not {item!r}.")
        result[language.strip()] = Path(path.strip())
    return result


GENERATORS = {
    "TWILIO_ACCOUNT_SID": lambda: "AC" + secrets.token_hex(16),
    "TWILIO_AUTH_TOKEN": lambda: secrets.token_hex(16),
    "API_TOKEN": lambda: secrets.token_urlsafe(24),
    "SECRET_KEY": lambda: secrets.token_urlsafe(32),
}


def _fill_dev_secrets(settings: Settings) -> Settings:
    """Development only: generate missing secrets once and keep them in the data folder."""
    missing = settings.missing_secrets()
    if not missing:
        return settings
    path = settings.data_dir / "dev-secrets.json"
    stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    fresh = {name: GENERATORS[name]() for name in missing if name not in stored}
    if fresh:
        stored.update(fresh)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(stored, indent=2))
        path.chmod(0o600)
    return settings.with_(generated_secrets=tuple(missing),
                          **{name.lower(): stored[name] for name in missing})
