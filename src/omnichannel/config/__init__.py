"""config.toml -> typed models. Unknown keys are errors; secrets come from the environment.

A string value may reference `${NAME}`: it is read from the environment, or else from the
file `$CREDENTIALS_DIRECTORY/NAME` (systemd `LoadCredential=`). A missing reference is an
error naming the key path. Channel tables are validated by each enabled adapter's own model
(see `registry.py`), so this module knows no channel.
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

import omnichannel.i18n as i18n
from omnichannel.config.analytics import AnalyticsSettings, DashboardSettings

_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# ISO 4217 codes of the currencies in circulation (no funds, metals or test codes).
CURRENCIES = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP
BYN BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP
GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS
KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR
MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF
SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD
TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL
""".split())


class ConfigError(Exception):
    """A config that cannot run. `problems` holds one "key.path: what is wrong" per line."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))

    def render(self) -> str:
        lines = [f"invalid configuration in {self.source}:"]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServerConfig(Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    public_url: str = ""


class StoreConfig(Section):
    state_dir: Path = Path("./state")
    synchronous: Literal["NORMAL", "FULL"] = "NORMAL"


class LoggingConfig(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["json", "text"] = "json"


SHIPPED_LANGUAGES = ("en", "es", "de", "fr", "pt", "it", "nl")


def _shipped_language(value: str) -> str:
    code = value.strip().lower()
    if code not in SHIPPED_LANGUAGES:
        raise ValueError(f"{value!r} is not a shipped language; use one of "
                         f"{', '.join(SHIPPED_LANGUAGES)}")
    return code


# Keys of the `translations` tables (a wrong one is named with the languages to use).
Language = Literal["en", "es", "de", "fr", "pt", "it", "nl"]
# Our default texts are English msgids of the "gateway" catalog (English outside a turn);
# `Translated.text` gives them in the turn's language (docs/languages.md, Merchant texts).
_ = i18n.translator("gateway")


class Translated(Section):
    """A section whose shopper-facing texts a merchant may give per language."""

    translations: dict[Language, Any] = {}

    def text(self, name: str, lang: str | None = None) -> str:
        """The text in `lang` (the turn's): the merchant's for it, else our translation of
        our default, else the merchant's own text as written."""
        given = getattr(self.words(lang), name, None)
        if given is not None:
            return str(given)
        own: str = getattr(self, name)
        default = type(self).model_fields[name].default
        if not own or own != default:
            return own
        with i18n.using(i18n.normalize(lang) or i18n.current()):
            return _(own)

    def words(self, lang: str | None = None) -> Any:
        """The merchant's texts for `lang` (the turn's), or None."""
        code = i18n.normalize(lang) or i18n.current()
        return next((t for k, t in self.translations.items() if k == code), None)


class BrandTexts(Section):
    greeting: str | None = None
    sign_off: str | None = None
    person_label: str | None = None


class BrandConfig(Translated):
    shop_name: str = "Juniper & Pine"
    assistant_name: str = "Juno"
    colour: str = "#2f6f4f"
    avatar_url: str = ""
    greeting: str = _("Hi! I'm Juno. Ask me about shipping, returns, sizing or your order.")
    sign_off: str = ""
    person_label: str = _("Talk to a person")
    # [brand.translations.<lang>]: greeting, sign_off, person_label in that language.
    translations: dict[Language, BrandTexts] = {}
    # The shop's prices are in it (ISO 4217); how the agent and the demo page show money.
    currency: str = "USD"
    # The shop's own language (its help center's, and the answer when nothing else tells),
    # and the languages it answers shoppers in (docs/languages.md): shipped ones only.
    language: str = "en"
    languages: list[str] = ["en", "es", "de", "fr", "pt", "it", "nl"]

    @field_validator("language")
    @classmethod
    def _shipped(cls, v: str) -> str:
        return _shipped_language(v)

    @field_validator("languages")
    @classmethod
    def _all_shipped(cls, v: list[str]) -> list[str]:
        out = list(dict.fromkeys(_shipped_language(x) for x in v))
        if not out:
            raise ValueError("name at least one language")
        return out

    @model_validator(mode="after")
    def _own_language_offered(self) -> BrandConfig:
        if self.language not in self.languages:
            raise ValueError(f"language {self.language!r} must be one of languages "
                             f"{self.languages}")
        return self

    @field_validator("colour")
    @classmethod
    def _hex(cls, v: str) -> str:
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", v):
            raise ValueError("expected a colour like #2f6f4f")
        return v

    @field_validator("currency")
    @classmethod
    def _iso_4217(cls, v: str) -> str:
        code = v.strip().upper()
        if code not in CURRENCIES:
            raise ValueError(f"expected an ISO 4217 currency code like USD, CAD or EUR, not {v!r}")
        return code


class AgentConfig(Section):
    # builtin: rules only; llm: every turn to a model; auto: rules first, models for the rest.
    engine: Literal["builtin", "llm", "auto", "echo"] = "builtin"
    # Wait after each message for the rest of a burst (restarted by every message).
    debounce_seconds: float = Field(0.25, ge=0, le=30)
    # Each "the shopper is typing" signal (web chat) holds the answer this much longer;
    # more than the widget's 2 s between signals, so steady typing keeps it held. 0: ignore.
    typing_grace_seconds: float = Field(3.0, ge=0, le=10)
    history_limit: int = Field(30, ge=1, le=500)
    max_failures: int = Field(2, ge=1, le=10)


class KnowledgeConfig(Section):
    builtin_helpcenter: bool = True
    paths: list[Path] = []
    # "bm25" (SQLite FTS5) or "hybrid" (BM25 fused with embeddings by reciprocal rank).
    ranker: Literal["bm25", "hybrid"] = "bm25"
    # For hybrid: "hashing" (built in, no model) or a local sentence-transformers model.
    embedding_model: str = "hashing"


_SPAN = r"^$|^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$"


class HoursConfig(Section):
    """When people answer, in the shop's time zone; "" is a closed day. `holidays` are
    dated exceptions (closed all day)."""

    timezone: str = "America/New_York"
    mon: str = Field("09:00-17:00", pattern=_SPAN)
    tue: str = Field("09:00-17:00", pattern=_SPAN)
    wed: str = Field("09:00-17:00", pattern=_SPAN)
    thu: str = Field("09:00-17:00", pattern=_SPAN)
    fri: str = Field("09:00-17:00", pattern=_SPAN)
    sat: str = Field("", pattern=_SPAN)
    sun: str = Field("", pattern=_SPAN)
    holidays: list[date] = []

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name like "
                             "Europe/Berlin)") from None
        return value


class HandoffTexts(Section):
    notice: str | None = None
    out_of_hours_notice: str | None = None
    back_to_agent_notice: str | None = None
    topics: list[str] = []


class HandoffConfig(Translated):
    # Said when the handoff happens in business hours ...
    notice: str = _(
        "I've passed this conversation to our team. A person will reply right here, "
        "usually within a few hours. You don't need to stay online: the conversation and "
        "everything you've told us is kept."
    )
    # ... and outside them ({next_open}: e.g. "Monday at 9:00").
    out_of_hours_notice: str = _(
        "I've passed this conversation to our team. They're away right now and will reply "
        "right here from {next_open}. You don't need to stay online: the conversation and "
        "everything you've told us is kept."
    )
    back_to_agent_notice: str = _("You're back with {assistant_name}, our assistant.")
    # Merchant topics that always go to a person (words or phrases, any case), on top of
    # the triggers that cannot be switched off (a person asked for, anger, abuse, legal
    # threats, self-harm, card numbers, repeated failure, an action over a cap).
    topics: list[str] = []
    hours: HoursConfig = HoursConfig()
    # [handoff.translations.<lang>]: the notices in that language, and topics added to
    # `topics` while a shopper speaks it.
    translations: dict[Language, HandoffTexts] = {}

    def spoken_topics(self, lang: str | None = None) -> list[str]:
        """`topics` plus those of the language (the turn's)."""
        extra = self.words(lang)
        return self.topics + (extra.topics if extra else [])


Mode = Literal["off", "assisted", "autonomous"]


class AutonomyTexts(Section):
    pending_notice: str | None = None


class AutonomyConfig(Translated):
    """Per intent category: "off" (always a person), "assisted" (drafts staff approve in
    the Slack console before anything is sent or written), "autonomous". Categories:
    tracking, cancel, return, exchange, address, payment, refund, product, policy, other."""

    default: Mode = "autonomous"
    categories: dict[str, Mode] = {}
    # For "off" categories the agent still drafts privately, scored against staff replies.
    shadow: bool = True
    # Told to the shopper (once per waiting draft) while staff review an assisted reply;
    # "" sends nothing.
    pending_notice: str = _("Thanks! A member of our team is checking my answer and will "
                            "send it here shortly.")
    # [autonomy.translations.<lang>] pending_notice: the notice in that language.
    translations: dict[Language, AutonomyTexts] = {}
    # `omnichannel autonomy` suggests a promotion at this approval rate over min_drafts,
    # and a demotion when the last min_drafts fall below demote_below.
    promote_at: float = Field(0.9, gt=0, le=1)
    demote_below: float = Field(0.7, gt=0, le=1)
    min_drafts: int = Field(20, ge=1)

    def mode(self, category: str) -> Mode:
        return self.categories.get(category, self.default)


class SlackConsoleConfig(Section):
    """`[console.slack]`: the staff console in one Slack channel (docs/console.md)."""

    enabled: bool = False
    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    # The channel id (C...) handoffs and drafts are posted to; the bot must be a member.
    channel: str = Field("", pattern=r"^$|^[CG][A-Z0-9]{2,30}$")
    events_path: str = Field("/slack/console", pattern=r"^/[A-Za-z0-9/_.-]*$")
    api_base: str = "https://slack.com/api/"
    timeout: float = Field(20.0, gt=0, le=120)

    @model_validator(mode="after")
    def _complete(self) -> SlackConsoleConfig:
        if self.enabled:
            missing = [k for k in ("bot_token", "signing_secret", "channel")
                       if not getattr(self, k)]
            if missing:
                raise ValueError("enabled, but missing: " + ", ".join(missing))
        return self


class ConsoleConfig(Section):
    slack: SlackConsoleConfig = SlackConsoleConfig()
    # With [models.routine] set (docs/languages.md): staff see shopper messages that are not
    # in [brand] language translated into it, in the Slack packet and the dashboard.
    translate_messages: bool = True
    # ...and every Slack thread reply is translated into the conversation's language before
    # it is sent (the CLI's --translate and the dashboard's checkbox ask per reply).
    translate_replies: bool = False


class OutboxConfig(Section):
    max_attempts: int = Field(8, ge=1, le=100)
    backoff_base: float = Field(1.0, gt=0)
    backoff_max: float = Field(300.0, gt=0)
    stale_after_seconds: float = Field(900.0, gt=0)
    poll_seconds: float = Field(1.0, gt=0)


class ModelConfig(Section):
    """One tier's model: a litellm model string, its endpoint, and fallbacks."""

    model: str
    api_base: str = ""
    api_key: SecretStr | None = None
    # Other litellm model strings tried in order when this one fails (same endpoint and key).
    fallbacks: list[str] = []
    timeout: float = Field(30.0, gt=0)
    max_tokens: int = Field(800, ge=16)
    # Prices for models litellm does not know (local models: free = true).
    input_cost_per_token: float | None = Field(None, ge=0)
    output_cost_per_token: float | None = Field(None, ge=0)
    free: bool = False


class ModelsConfig(Section):
    routine: ModelConfig | None = None
    complex: ModelConfig | None = None


class RoutingConfig(Section):
    """When `engine = "auto"` sends a turn to no model, the routine or the complex model."""

    builtin_min_confidence: float = Field(0.6, ge=0, le=1)
    # The rules' draft goes out only for intents whose held-out predictions were right this
    # often from the draft's confidence up (docs/llm.md); 0 trusts every confident draft.
    rules_min_precision: float = Field(0.95, ge=0, le=1)
    # The shopper's tone score (0 calm .. 1 furious) from which the complex model answers.
    upset_from: float = Field(0.3, ge=0, le=1)
    long_conversation_messages: int = Field(16, ge=1)
    complex_when_upset: bool = True
    complex_for_multi_step_writes: bool = True
    complex_after_failure: bool = True
    max_steps: int = Field(6, ge=1, le=20)


class ShopifyConfig(Section):
    """`[commerce.shopify]` (docs/shopify.md): the Admin GraphQL API of one store."""

    # "my-shop.myshopify.com"
    shop_domain: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]*\.myshopify\.com$")
    access_token: SecretStr
    # Pinned: Shopify versions quarterly and retires each after a year.
    api_version: str = Field("2025-07", pattern=r"^\d{4}-(01|04|07|10)$")
    # The app's client secret, for the HMAC on orders/updated and fulfillments/update.
    webhook_secret: SecretStr | None = None
    webhook_path: str = Field("/shopify/webhooks", pattern=r"^/[A-Za-z0-9/_.-]*$")
    # Tests and private proxies only: replaces https://<shop_domain>.
    api_base: str | None = None
    timeout: float = Field(20.0, gt=0, le=120)
    cache_seconds: float = Field(300.0, ge=0, le=86400)
    # returnCreate (autonomous) instead of returnRequest (the merchant approves in Shopify).
    returns_autonomous: bool = False


class CommerceConfig(Section):
    backend: Literal["demo", "taubench", "shopify", "none"] = "demo"
    # demo: the shop's SQLite file (default: <state_dir>/demo-shop.db, generated on first
    # run); taubench: a folder with users.json, orders.json and products.json.
    data: Path | None = None
    seed: int = 7
    shopify: ShopifyConfig | None = None


class GuardrailsConfig(Section):
    """Limits enforced by the tool layer; 0 switches a limit off."""

    return_window_days: int = Field(30, ge=0)
    max_refund_per_order: float = Field(500.0, ge=0)
    max_refund_per_customer_30d: float = Field(1000.0, ge=0)
    max_refund_per_day: float = Field(5000.0, ge=0)


class RetentionConfig(Section):
    """Data care (docs/datacare.md). Message bodies and media older than `message_days`
    are purged every `interval_hours`; the analytics rows (counts, timings, costs) stay.
    0 keeps everything."""

    message_days: int = Field(0, ge=0, le=3650)
    interval_hours: float = Field(24.0, gt=0, le=24 * 30)


class Config(Section):
    server: ServerConfig = ServerConfig()
    store: StoreConfig = StoreConfig()
    logging: LoggingConfig = LoggingConfig()
    brand: BrandConfig = BrandConfig()
    agent: AgentConfig = AgentConfig()
    knowledge: KnowledgeConfig = KnowledgeConfig()
    handoff: HandoffConfig = HandoffConfig()
    outbox: OutboxConfig = OutboxConfig()
    commerce: CommerceConfig = CommerceConfig()
    models: ModelsConfig = ModelsConfig()
    routing: RoutingConfig = RoutingConfig()
    guardrails: GuardrailsConfig = GuardrailsConfig()
    retention: RetentionConfig = RetentionConfig()
    autonomy: AutonomyConfig = AutonomyConfig()
    console: ConsoleConfig = ConsoleConfig()
    analytics: AnalyticsSettings = AnalyticsSettings()
    dashboard: DashboardSettings = DashboardSettings()
    # Each table is validated by its adapter's `config_model` (registry.validate_channels).
    channels: dict[str, dict[str, Any]] = {}
    source: str = Field("<defaults>", exclude=True)

    def enabled_channels(self) -> list[str]:
        return [name for name, table in self.channels.items() if table.get("enabled", False)]


def resolve_secrets(value: Any, path: str, problems: list[str], env: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: resolve_secrets(v, f"{path}.{k}" if path else k, problems, env)
                for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_secrets(v, f"{path}[{i}]", problems, env) for i, v in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in env:
            return env[name]
        creds = env.get("CREDENTIALS_DIRECTORY")
        if creds and (Path(creds) / name).is_file():
            return (Path(creds) / name).read_text().strip()
        problems.append(
            f"{path}: secret ${{{name}}} is not set (expected environment variable {name}"
            + (f" or file {creds}/{name}" if creds else " or a systemd credential")
            + ")"
        )
        return ""

    return _REF.sub(sub, value)


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def validation_problems(exc: ValidationError, prefix: str = "") -> list[str]:
    problems = []
    for err in exc.errors():
        path = _loc(tuple(err["loc"]))
        if prefix:
            path = f"{prefix}.{path}" if path else prefix
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif "input" in err and err["type"] != "missing":
            msg = f"{msg} (got {err['input']!r})"
        problems.append(f"{path or '(top level)'}: {msg}")
    return problems


def parse(text: str, source: str, env: dict[str, str] | None = None) -> Config:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, [f"not valid TOML: {exc}"]) from exc
    problems: list[str] = []
    raw = resolve_secrets(raw, "", problems, dict(os.environ if env is None else env))
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(source, problems + validation_problems(exc)) from exc
    if config.agent.engine in ("llm", "auto") and config.models.routine is None:
        problems.append(f"models.routine: required when agent.engine is "
                        f"{config.agent.engine!r} (a table with at least `model`)")
    if problems:
        raise ConfigError(source, problems)
    config.source = source
    return config


def load(path: Path, env: dict[str, str] | None = None) -> Config:
    """Read and validate a config file; a relative state_dir is taken from the file's folder.
    OMNICHANNEL_STATE_DIR, when set (the systemd unit sets it to StateDirectory=), wins over
    `[store] state_dir`, so a config under /etc works with a read-only /etc."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(str(path), [f"cannot read: {exc.strerror}"]) from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(str(path), [f"not valid UTF-8 at byte {exc.start}"]) from exc
    config = parse(text, str(path), env)
    override = (os.environ if env is None else env).get("OMNICHANNEL_STATE_DIR")
    if override:
        config.store.state_dir = Path(override)
    base = path.resolve().parent
    if not config.store.state_dir.is_absolute():
        config.store.state_dir = base / config.store.state_dir
    config.knowledge.paths = [p if p.is_absolute() else base / p for p in config.knowledge.paths]
    if config.commerce.data is not None and not config.commerce.data.is_absolute():
        config.commerce.data = base / config.commerce.data
    return config
