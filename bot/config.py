"""Settings: `config.yml` for everything, environment variables (`SIXTCAP_...`) on top, secrets from the
environment only. A broken file stops start-up with one readable line per problem."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from sqlalchemy import Engine

from bot.yamlfile import Problem, YamlError, describe_error, dotted, read_yaml

if TYPE_CHECKING:
    from bot.db import Timeouts

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "SIXTCAP_"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DatabaseSettings(Section):
    statement_timeout_seconds: float = Field(5.0, gt=0, le=600)  # PostgreSQL: one statement at most
    lock_timeout_seconds: float = Field(3.0, gt=0, le=600)  # PostgreSQL: waiting for a row lock
    idle_in_transaction_seconds: float = Field(30.0, gt=0, le=3600)  # PostgreSQL: a forgotten transaction
    pool_timeout_seconds: float = Field(5.0, gt=0, le=600)  # waiting for a free connection
    pool_size: int = Field(20, ge=1, le=200)  # PostgreSQL: connections each process keeps open
    sqlite_synchronous: Literal["NORMAL", "FULL"] = "NORMAL"  # SQLite: FULL syncs the disk at each commit
    durable_rate_counts: bool = False  # PostgreSQL: true = the rate limits' counts wait for the disk too


class ServerSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    public_url: str = "http://127.0.0.1:8000"  # how staff reach this server (links in notifications)
    workers: int = Field(1, ge=1, le=64)  # processes of `sixtcap serve`
    jobs: bool = True  # the outbox sender and the scheduled jobs also run in the web processes
    forwarded_allow_ips: str = "127.0.0.1"  # proxies trusted for X-Forwarded-For / -Proto (Caddy)
    shutdown_grace_seconds: float = Field(10.0, ge=0, le=300)  # deliveries in progress may finish
    worker_healthcheck_seconds: int = Field(300, ge=1, le=3600)  # --workers: a process silent this long is
    # restarted (uvicorn's 5 s killed workers still loading the NLU model on a busy machine, in a loop)
    gc_freeze: bool = True  # `serve`: what start-up loaded is left out of the garbage collector's full
    # passes (gc.freeze), which otherwise stop a process for 0.1-0.5 s now and then under load


class WorkerSettings(Section):
    host: str = "127.0.0.1"  # `sixtcap worker` answers /livez, /readyz and /metrics here
    port: int = Field(8001, ge=1, le=65535)


class RasaSettings(Section):
    url: str = "http://127.0.0.1:5005"
    timeout_seconds: float = Field(2.0, gt=0, le=30)
    retries: int = Field(1, ge=0, le=5)


class NluSettings(Section):
    backend: Literal["embedded", "rasa"] = "embedded"
    fallback_threshold: float = Field(0.3, ge=0, le=1)
    crisis_threshold: float = Field(0.35, ge=0, le=1)
    answer_threshold: float = Field(0.5, ge=0, le=1)
    question_threshold: float = Field(0.7, ge=0, le=1)
    rasa: RasaSettings = RasaSettings()


class TelegramSettings(Section):
    base_url: str = "https://api.telegram.org/bot"  # the Bot API; tests point it at a local stub
    bot_username: str = ""  # the bot's @name, for the campaigns' t.me links and QR codes
    start_retry_max_seconds: float = Field(300.0, ge=1, le=3600)  # unreachable at start: tried again


class WhatsAppSettings(Section):
    graph_url: str = "https://graph.facebook.com"
    api_version: str = "v21.0"
    phone_number_id: str = ""  # the business number's id in Meta's app (not a secret)
    display_number: str = ""  # the business number itself (33612345678), for the wa.me links and QR codes
    reengagement_template: str = "sixtcap_reponse_en_attente"
    follow_up_template: str = "sixtcap_relance"  # approved template for a follow-up outside the window
    template_language: str = "fr"


class WidgetSettings(Section):
    allowed_origins: list[str] = ["http://127.0.0.1:8000", "http://localhost:8000"]
    poll_seconds: float = Field(4.0, gt=0, le=60)


class VillageSettings(Section):
    media_base_url: str = ""  # where the scenes' photos and videos live; empty: served by sixtcap


class HandoffSettings(Section):
    business_hours: str = "Mo-Fr 09:00-17:00; PH off"  # OSM opening_hours syntax, Europe/Paris
    remind_after_business_hours: float = Field(4.0, gt=0, le=200)
    inbox_poll_seconds: float = Field(15.0, ge=0.2, le=600)
    check_every_minutes: float = Field(5.0, gt=0, le=1440)
    max_per_youth_per_day: int = Field(3, ge=1, le=1000)  # questions one youth may open in 24 hours
    max_per_hour: int = Field(300, ge=1, le=1_000_000)  # non-urgent questions opened by everyone in an hour
    reopen_urgent_hours: float = Field(48.0, ge=0, le=720)  # a youth's reply opens a closed urgent one again
    # an urgent question waits no longer than this for the partner chosen when another opens first
    urgent_wait_hours: float = Field(12.0, ge=0, le=10_000)


class SmtpSettings(Section):
    host: str = ""  # e-mail notifications are off while empty
    port: int = Field(587, ge=1, le=65535)
    starttls: bool = True
    username: str = ""
    sender: str = "sixtcap <no-reply@sixtcap.example>"


class LimitsSettings(Section):
    """What one conversation, one address or everyone may send (a rate: "30/minute", "5 per second"), and
    the largest request body. A load test from one loopback address raises them (see README)."""

    widget_per_conversation: str = "30/minute"
    widget_per_ip: str = "600/minute"
    widget_global: str = "6000/minute"
    webhook_per_chat: str = "30/minute"
    webhook_global: str = "6000/minute"
    login_per_ip: str = "10/minute"
    max_body_bytes: int = Field(65536, ge=1024, le=50_000_000)

    @classmethod
    def rate_names(cls) -> tuple[str, ...]:
        return tuple(name for name, info in cls.model_fields.items() if info.annotation is str)

    @field_validator(
        "widget_per_conversation", "widget_per_ip", "widget_global", "webhook_per_chat", "webhook_global",
        "login_per_ip",
    )  # fmt: skip
    @classmethod
    def _a_rate(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError:
            raise ValueError(f'not a rate: {value!r} (say e.g. "30/minute")') from None
        return value


class StaffSettings(Section):
    """Staff credentials: wrong passwords make the account wait longer and longer; passwords are checked
    against common ones (zxcvbn score, 0-4); API keys expire."""

    login_free_attempts: int = Field(5, ge=1, le=100)  # wrong passwords in a row before the account waits
    login_first_wait_seconds: float = Field(30.0, ge=1, le=3600)  # then doubles at each wrong password
    login_max_wait_seconds: float = Field(3600.0, ge=1, le=86400)
    min_password_score: int = Field(3, ge=0, le=4)
    api_key_days: int = Field(365, ge=1, le=3650)


class RetentionSettings(Section):
    transcript_days: int = Field(180, ge=1, le=3650)  # messages in and out
    closed_handoff_days: int = Field(90, ge=1, le=3650)  # resolved questions and their thread link
    inactive_youth_days: int = Field(365, ge=1, le=3650)  # everything about a youth silent that long
    under_15_hours: int = Field(24, ge=1, le=720)  # under 15: only the running conversation
    outbox_days: int = Field(7, ge=1, le=365)  # sent or failed deliveries, handled platform events
    purge_at: str = Field("03:30", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")  # daily, local time


class OutboxSettings(Section):
    poll_seconds: float = Field(0.5, gt=0, le=60)
    lease_seconds: float = Field(30.0, gt=0, le=600)
    pace_seconds: float = Field(1.0, ge=0, le=60)
    max_attempts: int = Field(1000, ge=1, le=100_000)
    give_up_after_hours: float = Field(24.0, gt=0, le=24 * 14)  # a message older than this is given up
    backoff_max_seconds: float = Field(300.0, gt=0, le=3600)
    timeout_seconds: float = Field(10.0, gt=0, le=120)


class DataInclusionSettings(Section):
    """Services outside the 6Tcap network, imported from data·inclusion (`sixtcap catalogue import`)."""

    api_url: str = "https://api.data.inclusion.gouv.fr/api/v1"
    communes: list[str] = []  # INSEE codes: services of the commune and within 50 km (the API's search)
    departements: list[str] = ["94"]
    thematiques: list[str] = []  # codes or whole categories (sante); empty: those of data/routing.yml
    reseaux: list[str] = []  # networks of structures (france-travail, ccas-cias): all their services
    page_size: int = Field(1000, ge=1, le=10000)
    timeout_seconds: float = Field(60.0, gt=0, le=600)


class FranceTravailSettings(Section):
    """France Travail's "Offres d'emploi v2" (on with SIXTCAP_FRANCE_TRAVAIL_CLIENT_ID and _SECRET)."""

    every_minutes: float = Field(360.0, ge=5, le=10080)  # refresh interval
    token_url: str = "https://entreprise.francetravail.fr/connexion/oauth2/access_token?realm=%2Fpartenaire"
    search_url: str = "https://api.francetravail.io/partenaire/offresdemploi/v2/offres/search"
    communes: list[str] = []  # INSEE codes searched around; empty: every commune of data/territory.yml
    distance_km: int = Field(10, ge=0, le=100)  # around each commune


class LaBonneAlternanceSettings(Section):
    """La bonne alternance (on with SIXTCAP_LA_BONNE_ALTERNANCE_TOKEN)."""

    every_minutes: float = Field(720.0, ge=5, le=10080)
    search_url: str = "https://api.apprentissage.beta.gouv.fr/api/job/v1/search"
    caller: str = "sixtcap"  # who asks, as La bonne alternance wants it said
    radius_km: int = Field(30, ge=1, le=200)  # around each commune of the territory


class OffersSettings(Section):
    france_travail: FranceTravailSettings = FranceTravailSettings()
    la_bonne_alternance: LaBonneAlternanceSettings = LaBonneAlternanceSettings()
    expire_every_minutes: float = Field(60.0, ge=1, le=1440)  # offers past their end date are hidden
    per_page: int = Field(5, ge=1, le=10)  # offer cards per message
    follow_up_days: float = Field(7.0, gt=0, le=60)  # "je te relance dans une semaine"
    follow_up_check_minutes: float = Field(5.0, gt=0, le=1440)  # how often due follow-ups are sent
    demo: bool = True  # without any source's credentials, demo offers are generated (make run)


class Settings(BaseSettings):
    """Every setting of sixtcap. Documented line by line in config.yml."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", case_sensitive=False
    )

    database_url: str = "sqlite:///var/sixtcap.db"
    data_dir: Path = Path("data")
    var_dir: Path = Path("var")
    timezone: str = "Europe/Paris"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    database: DatabaseSettings = DatabaseSettings()
    server: ServerSettings = ServerSettings()
    worker: WorkerSettings = WorkerSettings()
    nlu: NluSettings = NluSettings()
    telegram: TelegramSettings = TelegramSettings()
    whatsapp: WhatsAppSettings = WhatsAppSettings()
    widget: WidgetSettings = WidgetSettings()
    village: VillageSettings = VillageSettings()
    outbox: OutboxSettings = OutboxSettings()
    handoff: HandoffSettings = HandoffSettings()
    smtp: SmtpSettings = SmtpSettings()
    retention: RetentionSettings = RetentionSettings()
    datainclusion: DataInclusionSettings = DataInclusionSettings()
    offers: OffersSettings = OffersSettings()
    limits: LimitsSettings = LimitsSettings()
    staff: StaffSettings = StaffSettings()
    # Secrets: never in config.yml, only in the environment.
    secret_key: SecretStr | None = None
    telegram_bot_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    whatsapp_access_token: SecretStr | None = None
    whatsapp_app_secret: SecretStr | None = None
    whatsapp_verify_token: SecretStr | None = None
    smtp_password: SecretStr | None = None
    metrics_token: SecretStr | None = None
    sentry_dsn: SecretStr | None = None
    data_inclusion_token: SecretStr | None = None
    france_travail_client_id: SecretStr | None = None
    france_travail_client_secret: SecretStr | None = None
    la_bonne_alternance_token: SecretStr | None = None

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment wins over config.yml (passed as init arguments).
        return (env_settings, init_settings)

    @property
    def root(self) -> Path:
        return PROJECT_ROOT

    @property
    def catalogue_dir(self) -> Path:
        return self.data_dir / "catalogue"

    @property
    def territory_file(self) -> Path:
        return self.data_dir / "territory.yml"

    @property
    def offers_dir(self) -> Path:
        return self.data_dir / "offers"

    @property
    def nlu_dir(self) -> Path:
        return self.data_dir / "nlu"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def engine(self) -> Engine:
        """The database engine, with the timeouts of `database`."""
        from bot.db import make_engine

        d = self.database
        return make_engine(self.database_url, self.timeouts(), d.sqlite_synchronous, d.pool_size)

    def timeouts(self) -> Timeouts:
        from bot.db import Timeouts

        d = self.database
        return Timeouts(
            d.statement_timeout_seconds,
            d.lock_timeout_seconds,
            d.idle_in_transaction_seconds,
            d.pool_timeout_seconds,
        )


SECRET_FIELDS = tuple(
    name for name, info in Settings.model_fields.items() if info.annotation == SecretStr | None
)


class ConfigError(Exception):
    """The configuration cannot be used; `problems` says why, one line each."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def _env_name(key: tuple[str | int, ...]) -> str:
    return ENV_PREFIX + "__".join(str(part).upper() for part in key)


def _resolve_paths(settings: Settings, root: Path) -> Settings:
    """Relative paths (and a relative SQLite file) are relative to the project root, not to the cwd."""
    data_dir = settings.data_dir if settings.data_dir.is_absolute() else root / settings.data_dir
    var_dir = settings.var_dir if settings.var_dir.is_absolute() else root / settings.var_dir
    url = settings.database_url
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != prefix + ":memory:":
        url = prefix + str(root / url[len(prefix) :])
    return settings.model_copy(update={"data_dir": data_dir, "var_dir": var_dir, "database_url": url})


def config_path() -> Path:
    return Path(os.environ.get(ENV_PREFIX + "CONFIG", PROJECT_ROOT / "config.yml"))


def load_settings(path: Path | None = None) -> Settings:
    """Read config.yml (or `path`), apply the environment, check everything; raise ConfigError."""
    path = path or config_path()
    name = path.name if path.parent == PROJECT_ROOT else str(path)
    raw: Any = {}
    lines: dict[tuple[str | int, ...], int] = {}
    if path.exists():
        try:
            document = read_yaml(path, name)
        except YamlError as error:
            raise ConfigError([error.problem]) from error
        raw, lines = document.data or {}, document.lines
        if not isinstance(raw, dict):
            raise ConfigError([Problem(name, 1, "", "the file must be a mapping of settings")])
    problems = [
        Problem(
            name,
            lines.get((key,)),
            key,
            f"secrets are read only from the environment: remove it and set {_env_name((key,))}",
        )
        for key in SECRET_FIELDS
        if key in raw
    ]
    if problems:
        raise ConfigError(problems)
    try:
        settings = Settings(**raw)
    except ValidationError as error:
        for item in error.errors():
            key = tuple(item["loc"])
            env = _env_name(key)
            source = env if env in os.environ else name
            reason = describe_error(item, unknown="unknown setting")
            line = lines.get(key) if source == name else None
            problems.append(Problem(source, line, dotted(key), reason))
        raise ConfigError(sorted(problems, key=lambda p: (p.file, p.line or 0))) from None
    return _resolve_paths(settings, path.parent.resolve())


def masked(settings: Settings) -> dict[str, Any]:
    """The effective settings with secrets and database passwords hidden, for display."""
    shown = settings.model_dump(mode="json")
    for key in SECRET_FIELDS:
        shown[key] = "********" if getattr(settings, key) is not None else None
    from sqlalchemy.engine import make_url

    try:
        shown["database_url"] = make_url(settings.database_url).render_as_string(hide_password=True)
    except Exception:
        shown["database_url"] = "(unparsable URL)"
    return shown
