"""The `sixtcap` command line: configuration, database, catalogue, server."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import Progress
from sqlalchemy import Engine, inspect

from bot.campaigns import CampaignError, Links, deep_link
from bot.catalogue.datainclusion import export_catalogue
from bot.catalogue.files import CatalogueInvalid, read_catalogue
from bot.catalogue.loader import load_catalogue
from bot.catalogue.outside import Scope, SourceError, fetch_api, import_outside, read_files
from bot.config import ConfigError, Settings, load_settings, masked
from bot.db import session_factory, transaction
from bot.logs import configure_logging
from bot.migrations import revision as new_revision
from bot.migrations import upgrade
from bot.models import Partner
from bot.offers.data import OfferData
from bot.posters import qr_file
from bot.routing import load_rules
from bot.territory import Territory, load_territory
from bot.village import load_village
from sixtcap.village_media import ensure_demo_media

app = typer.Typer(
    help="sixtcap, the 6Tcap guidance assistant.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
config_app = typer.Typer(help="The effective configuration.", no_args_is_help=True)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
catalogue_app = typer.Typer(help="The partners' catalogue (data/catalogue/).", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")
nlu_app = typer.Typer(help="Understanding messages (data/nlu/).", no_args_is_help=True)
telegram_app = typer.Typer(help="The Telegram bot.", no_args_is_help=True)
staff_app = typer.Typer(help="Partner staff accounts.", no_args_is_help=True)
privacy_app = typer.Typer(help="Personal data: access requests, retention.", no_args_is_help=True)
app.add_typer(privacy_app, name="privacy")
stats_app = typer.Typer(help="The coordinators' statistics (anonymous daily tallies).", no_args_is_help=True)
app.add_typer(stats_app, name="stats")
app.add_typer(staff_app, name="staff")
app.add_typer(telegram_app, name="telegram")
app.add_typer(catalogue_app, name="catalogue")
app.add_typer(nlu_app, name="nlu")
qr_app = typer.Typer(help="QR codes of the campaigns' deep links.", no_args_is_help=True)
app.add_typer(qr_app, name="qr")
village_app = typer.Typer(help="The 360° village (data/village.yml).", no_args_is_help=True)
app.add_typer(village_app, name="village")
offers_app = typer.Typer(help="Job, apprenticeship and training offers.", no_args_is_help=True)
app.add_typer(offers_app, name="offers")

err = Console(stderr=True)


class State:
    settings: Settings
    config_path: Path | None = None


state = State()


def fail(lines: list[str], code: int = 1) -> NoReturn:
    for line in lines:
        typer.echo(line, err=True)
    raise typer.Exit(code)


@app.callback()
def main_options(
    config: Annotated[
        Path | None, typer.Option(help="config file (default: config.yml, or $SIXTCAP_CONFIG)")
    ] = None,
) -> None:
    try:
        state.settings = load_settings(config)
        state.config_path = config.resolve() if config else None
    except ConfigError as error:
        fail([f"configuration error: {problem}" for problem in error.problems], code=2)
    configure_logging(state.settings.log_level)


def _engine() -> Engine:
    return state.settings.engine()


def _require_schema(engine: Engine) -> None:
    if not inspect(engine).has_table("partners"):
        fail(["the database has no tables yet: run `sixtcap db upgrade` first"])


@config_app.command("show")
def config_show() -> None:
    """Print the effective configuration (config.yml + environment), secrets masked."""
    typer.echo(json.dumps(masked(state.settings), indent=2, ensure_ascii=False))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the latest version."""
    upgrade(_engine())
    typer.echo("database schema is up to date")


@db_app.command("backup")
def db_backup(
    output: Annotated[
        Path | None, typer.Argument(help="file to write (default: var/backups/sixtcap-<time>.<kind>)")
    ] = None,
) -> None:
    """A consistent snapshot of the whole database (SQLite backup API, or pg_dump), and its .json."""
    from datetime import UTC, datetime

    from sixtcap.backup import BackupError, backup, key_fingerprint

    engine = _engine()
    _require_schema(engine)
    if output is None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        suffix = "sqlite" if engine.dialect.name == "sqlite" else "pgdump"
        output = state.settings.var_dir / "backups" / f"sixtcap-{stamp}.{suffix}"
    try:
        backup(engine, state.settings, output)
    except BackupError as error:
        fail([str(error)])
    typer.echo(f"backup written to {output}")
    typer.echo(
        f"keep SIXTCAP_SECRET_KEY (fingerprint {key_fingerprint(state.settings)}) safe and apart from "
        "the backup: without it no youth can be found again; and the backup holds minors' personal data: "
        "store it encrypted, delete it after the retention period",
        err=True,
    )


@db_app.command("restore")
def db_restore(
    source: Annotated[Path, typer.Argument(help="a file written by `sixtcap db backup`")],
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
) -> None:
    """Replace the database by a backup (stop every sixtcap process first), then migrate it, erase again
    the youths of the erasure log and run the retention purge."""
    from sixtcap.backup import BackupError, key_fingerprint, restore, sidecar_of

    engine = _engine()
    about = sidecar_of(source) or {}
    fingerprint = key_fingerprint(state.settings)
    if about.get("secret_key_fingerprint") not in (None, fingerprint):
        typer.echo(
            "warning: this backup was made with another SIXTCAP_SECRET_KEY: youths will not be found again "
            "until that key is set",
            err=True,
        )
    if not yes:
        typer.confirm(f"Replace everything in the database by {source}?", abort=True, err=True)
    try:
        restored = restore(engine, state.settings, source)
    except BackupError as error:
        fail([str(error)])
    typer.echo(f"restored {source} (schema {restored.revision_before}, migrated to the latest)")
    typer.echo(f"erased again from the erasure log: {restored.erased_again}")
    typer.echo("purged: " + ", ".join(f"{kind}: {count}" for kind, count in restored.purged.items()))


@db_app.command("revision")
def db_revision(message: Annotated[str, typer.Argument(help="what the migration does")]) -> None:
    """Write a new migration under bot/migrations/versions/ from the changed models."""
    engine = _engine()
    upgrade(engine)
    new_revision(engine, message)


def _read(path: Path | None) -> list:  # type: ignore[type-arg]
    settings = state.settings
    territory = load_territory(settings.territory_file)
    try:
        return read_catalogue(path or settings.catalogue_dir, territory)
    except CatalogueInvalid as error:
        fail(
            [str(problem) for problem in error.problems]
            + [f"{len(error.problems)} problem(s), nothing written"]
        )
        raise  # unreachable


PathArg = Annotated[Path | None, typer.Argument(help="folder or file (default: data/catalogue/)")]


@catalogue_app.command("validate")
def catalogue_validate(path: PathArg = None) -> None:
    """Check the catalogue files; print one line per problem (file:line: field: reason)."""
    entries = _read(path)
    services = sum(len(entry.services) for entry in entries)
    typer.echo(f"catalogue OK: {len(entries)} partners, {services} services")


@catalogue_app.command("load")
def catalogue_load(path: PathArg = None) -> None:
    """Check, then load the catalogue into the database (nothing is written if anything is wrong)."""
    entries = _read(path)
    engine = _engine()
    _require_schema(engine)
    territory = load_territory(state.settings.territory_file)
    with Progress(console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task("loading the catalogue", total=len(entries))
        report = load_catalogue(
            engine, entries, territory, on_progress=lambda done, _: progress.update(task, completed=done)
        )
    typer.echo(f"partners: {report.partners}")
    typer.echo(f"services: {report.services}")


class ExportFormat(StrEnum):
    data_inclusion = "data-inclusion"


@catalogue_app.command("export")
def catalogue_export(
    format: Annotated[
        ExportFormat, typer.Option("--format", help="export format")
    ] = ExportFormat.data_inclusion,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="file (default: standard output)")
    ] = None,
) -> None:
    """Write the active catalogue as data·inclusion v1 JSON (structures + services)."""
    engine = _engine()
    _require_schema(engine)
    with session_factory(engine)() as session:
        document = export_catalogue(session)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if output:
        output.write_text(text, encoding="utf-8")
        typer.echo(
            f"{len(document['structures'])} structures, {len(document['services'])} services -> {output}",
            err=True,
        )
    else:
        sys.stdout.write(text)


@catalogue_app.command("import")
def catalogue_import(
    commune: Annotated[
        list[str] | None, typer.Option("--commune", help="INSEE code (repeatable; default: config.yml)")
    ] = None,
    departement: Annotated[
        list[str] | None, typer.Option("--departement", help="département (repeatable; default: config.yml)")
    ] = None,
    thematique: Annotated[
        list[str] | None,
        typer.Option("--thematique", help="code or category (repeatable; default: data/routing.yml's needs)"),
    ] = None,
    reseau: Annotated[
        list[str] | None,
        typer.Option(
            "--reseau", help="network (france-travail, ccas-cias; repeatable): all its structures' services"
        ),
    ] = None,
    file: Annotated[
        list[str] | None,
        typer.Option(
            "--file", help="published file, CSV or JSON, path or URL (repeatable): read instead of the API"
        ),
    ] = None,
) -> None:
    """Import services outside the 6Tcap network from data·inclusion (API or published files): checked row
    by row with the official models; a refused row is reported and skipped. The import is the whole
    selection: services of an earlier import that are no longer there are deactivated. Without
    --thematique nor --reseau: config.yml's, else those of data/routing.yml's specific needs."""
    settings = state.settings
    wanted = settings.datainclusion
    themes, networks = list(thematique or []), list(reseau or [])
    if not themes and not networks:
        themes, networks = list(wanted.thematiques), list(wanted.reseaux)
    if not themes and not networks:
        rules = load_rules(settings.data_dir / "routing.yml")
        themes = sorted({t for need in rules.specific_needs.values() for t in need.thematiques})
        networks = sorted({r for need in rules.specific_needs.values() for r in need.reseaux})
    scope = Scope(
        communes=tuple(commune if commune is not None else wanted.communes),
        departements=tuple(departement if departement is not None else wanted.departements),
        thematiques=tuple(themes),
        reseaux=tuple(networks),
    )
    if not file and settings.data_inclusion_token is None:
        fail(["the data·inclusion API needs a token: set SIXTCAP_DATA_INCLUSION_TOKEN (or give --file)"])
    if not file and not scope.communes and not scope.departements:
        fail(["say where: --commune or --departement (or datainclusion in config.yml)"])
    engine = _engine()
    _require_schema(engine)
    try:
        if file:
            rows = read_files(file, scope)
        else:
            token = settings.data_inclusion_token.get_secret_value() if settings.data_inclusion_token else ""
            rows = fetch_api(wanted.api_url, token, scope, wanted.page_size, wanted.timeout_seconds)
    except SourceError as error:
        fail([f"{error}; nothing written"])
    report = import_outside(engine, rows, load_territory(settings.territory_file))
    for problem in report.problems:
        typer.echo(f"skipped: {problem}", err=True)
    typer.echo(f"outside the network, partners: {report.partners}")
    typer.echo(f"outside the network, services: {report.services}")
    if report.problems:
        typer.echo(f"{len(report.problems)} row(s) or field(s) left out, see above", err=True)


def _offer_resources() -> tuple[Engine, Territory, OfferData]:
    engine = _engine()
    _require_schema(engine)
    return engine, load_territory(state.settings.territory_file), OfferData.load(state.settings)


@offers_app.command("load")
def offers_load(
    path: Annotated[Path, typer.Argument(help="a .json or .csv file of offers (README: Offers)")],
    partner: Annotated[str, typer.Option(help="the partner id these offers are from (data/catalogue/)")],
    complete: Annotated[
        bool, typer.Option("--complete/--add", help="the file is the partner's whole list (default)")
    ] = True,
) -> None:
    """Check a partner's file, then store its offers (nothing is written if anything is wrong)."""
    from bot.offers.files import post_offers, read_offers_file
    from bot.offers.store import OffersInvalid

    engine, territory, data = _offer_resources()
    try:
        offers = read_offers_file(path)
        with transaction(engine) as session:
            owner = session.get(Partner, partner)
            if owner is None:
                fail([f"no partner {partner!r} (see data/catalogue/)"])
            posted = post_offers(session, owner, offers, complete, _now(), territory, data.stations)
    except OffersInvalid as invalid:
        fail([str(problem) for problem in invalid.problems])
    saved = posted.saved
    typer.echo(f"{posted.source}: {saved.created} new, {saved.updated} updated, {posted.expired} expired")


@offers_app.command("refresh")
def offers_refresh(
    source: Annotated[
        str | None, typer.Argument(help="france_travail or la_bonne_alternance (default: all)")
    ] = None,
) -> None:
    """Read the remote sources whose credentials are set, now."""
    from bot.offers.refresh import refresh, remote_sources
    from bot.offers.remote import SourceFailed

    engine, territory, data = _offer_resources()
    sources = remote_sources(state.settings, territory, data.trades)
    if source is not None:
        sources = {name: pair for name, pair in sources.items() if name == source}
    if not sources:
        fail(["no source to read: set its credentials (README: Offers)"])
    problems = []
    for name, (_minutes, fetch) in sources.items():
        try:
            done = refresh(engine, name, fetch, _now, territory, data.stations)
        except SourceFailed as error:
            problems.append(f"{name}: {error}")
            continue
        partial = "" if done.complete else " (partial: nothing expired)"
        typer.echo(f"{name}: {done.created} new, {done.updated} updated, {done.expired} expired{partial}")
    if problems:
        fail(problems)


@offers_app.command("demo")
def offers_demo(count: Annotated[int, typer.Option(min=0, max=100_000)] = 150) -> None:
    """Generate demo offers (flagged demo) around the territory, unless `offers.demo` is off or a real
    source has its credentials (then the demo offers are withdrawn)."""
    from bot.offers.demo import demo_offers
    from bot.offers.refresh import remote_sources
    from bot.offers.store import expire_unseen, save_offers

    engine, territory, data = _offer_resources()
    now = _now()
    real = remote_sources(state.settings, territory, data.trades)
    wanted = state.settings.offers.demo and not real
    offers = list(demo_offers(territory, data.trades, now, count)) if wanted else []
    with transaction(engine) as session:
        saved = save_offers(session, "demo", offers, now, territory, data.stations)
        expire_unseen(session, "demo", now)  # every one of them when none is wanted any more
    if wanted:
        typer.echo(f"demo offers: {saved.created + saved.updated}")
    else:
        reason = f"real sources are on ({', '.join(real)})" if real else "offers.demo is off"
        typer.echo(f"no demo offers: {reason}")


def _now() -> datetime:
    return datetime.now(UTC)


@nlu_app.command("train")
def nlu_train() -> None:
    """Build the embedded model under var/nlu/ (deterministic: same data, same model)."""
    import time

    from bot.understanding import nlu_data
    from nlu.model import train_and_save

    started = time.perf_counter()
    _, path = train_and_save(nlu_data(state.settings), state.settings.var_dir)
    typer.echo(f"model written to {path} in {time.perf_counter() - started:.1f} s")


def messages(texts: list[str] | None) -> Iterable[str]:
    """The messages given as arguments, else one per line of standard input."""
    return texts if texts else (line.rstrip("\r\n") for line in sys.stdin)


@nlu_app.command("parse")
def nlu_parse(
    texts: Annotated[list[str] | None, typer.Argument(help="messages (default: stdin, one per line)")] = None,
) -> None:
    """Print Rasa's parse JSON for each message, one object per line, in order."""
    from bot.understanding import make_parser

    parser = make_parser(state.settings)
    lines = messages(texts)
    out = sys.stdout
    for text in lines:
        out.write(json.dumps(parser.parse(text), ensure_ascii=False) + "\n")
    out.flush()


@nlu_app.command("safety")
def nlu_safety(
    texts: Annotated[list[str] | None, typer.Argument(help="messages (default: stdin, one per line)")] = None,
) -> None:
    """For reviewers of data/safety/: the kinds of danger each message raises, and the phrase that did."""
    from bot.understanding import nlu_data
    from nlu.safety import LexiconError
    from nlu.text import fold

    try:
        lexicon = nlu_data(state.settings).lexicon()
    except LexiconError as error:
        fail([str(error)])
    lines = messages(texts)
    for text in lines:
        typer.echo(json.dumps({"text": text, **lexicon.explain(fold(text))}, ensure_ascii=False))


@nlu_app.command("eval")
def nlu_eval(
    file: Annotated[
        Path | None, typer.Argument(help="Rasa NLU YAML (default: data/nlu/test/test.yml)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    cv: Annotated[
        int | None, typer.Option("--cv", min=2, help="K-fold cross-validation on the training data")
    ] = None,
) -> None:
    """Accuracy, macro-F1, per-intent scores, entity precision/recall, misclassified examples."""
    from bot.understanding import embedded_parser, nlu_data, thresholds
    from nlu.answers import answer_concerns
    from nlu.evaluate import cross_validate, evaluate
    from nlu.rasa_yaml import TrainingDataError, read_file

    settings = state.settings
    if cv:
        report = cross_validate(nlu_data(settings), cv, thresholds(settings))
    else:
        path = file or settings.nlu_dir / "test" / "test.yml"
        try:
            examples = read_file(path).examples
        except (OSError, TrainingDataError) as error:
            fail([f"cannot read {path}: {error}"])
        if not examples:
            fail([f"{path} has no intent examples"])
        report = evaluate(embedded_parser(settings), examples, answer_concerns(settings.data_dir / "answers"))
    typer.echo(
        json.dumps(report.as_dict(), ensure_ascii=False, indent=2) if as_json else "\n".join(report.lines())
    )


@nlu_app.command("export-rasa")
def nlu_export_rasa(
    folder: Annotated[Path, typer.Argument(help="folder of the Rasa project to write")],
) -> None:
    """Write a Rasa 3 project (French DIET pipeline) trained on the same data."""
    from bot.answers import load_answers
    from bot.understanding import nlu_data
    from nlu.export_rasa import export_rasa_project

    settings = state.settings
    source = nlu_data(settings)
    answers = load_answers(source.answers_path)
    responses = {a.id: list(a.bubbles) for a in answers.values()}
    threshold = settings.nlu.fallback_threshold
    for path in export_rasa_project(source.training_data(), folder, threshold, source.faq(), responses):
        typer.echo(f"wrote {path}")


class QrChannel(StrEnum):
    telegram = "telegram"
    whatsapp = "whatsapp"
    web = "web"


class QrKind(StrEnum):
    png = "png"
    svg = "svg"


@qr_app.command("make")
def qr_make(
    source: Annotated[str, typer.Option("--source", help="the campaign's code: letters, digits, - and _")],
    channel: Annotated[QrChannel, typer.Option("--channel", help="where the code leads")] = QrChannel.web,
    format: Annotated[QrKind, typer.Option("--format", help="image format")] = QrKind.png,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="file (default: qr-<source>-<channel>.<format>)")
    ] = None,
) -> None:
    """Write the QR code of a deep link that records SOURCE at the youth's first contact:
    t.me/<bot>?start=SOURCE, wa.me/<number>?text=...(code SOURCE), or <portal>/?src=SOURCE."""
    try:
        link = deep_link(channel.value, source, Links.from_settings(state.settings))
    except CampaignError as error:
        fail([f"{error.code}: {error}"])
    path = output or Path(f"qr-{source}-{channel.value}.{format.value}")
    path.write_bytes(qr_file(link, format.value))
    typer.echo(f"{path}: {link}")


@village_app.command("demo-media")
def village_demo_media() -> None:
    """Redraw the demo panoramas of the scenes without a real photo, and their demo videos (var/village/)."""
    settings = state.settings
    village = load_village(settings.data_dir / "village.yml", settings.server.public_url)
    for path in ensure_demo_media(village, settings.data_dir, settings.var_dir, redraw=True):
        typer.echo(str(path))


@app.command("chat")
def chat(
    user: Annotated[str | None, typer.Option(help="continue the conversation of this user id")] = None,
) -> None:
    """Talk to sixtcap in the terminal (or one message per stdin line, JSON out, when piped)."""
    import uuid

    from bot.brain import Brain
    from sixtcap.chat import run_script, run_terminal

    engine = _engine()
    _require_schema(engine)
    brain = Brain.from_settings(state.settings, engine)
    user_id = user or f"local-{uuid.uuid4().hex[:8]}"
    if sys.stdin.isatty():
        run_terminal(brain, user_id)
    else:
        run_script(brain, user_id, sys.stdin, sys.stdout)


@telegram_app.command("set-webhook")
def telegram_set_webhook(
    url: Annotated[str, typer.Option(help="public HTTPS URL of /webhooks/telegram")],
) -> None:
    """Register the webhook with Telegram (token and secret from the environment)."""
    import asyncio

    from webhooks.telegram_cli import TelegramNotConfigured, set_webhook

    try:
        asyncio.run(set_webhook(state.settings, url))
    except TelegramNotConfigured as error:
        fail([str(error)], code=2)
    typer.echo(f"webhook set to {url}")


@telegram_app.command("poll")
def telegram_poll() -> None:
    """Talk to the bot from Telegram without a public URL (development): long polling until Ctrl-C."""
    from bot.brain import Brain
    from webhooks.telegram_cli import TelegramNotConfigured, poll

    engine = _engine()
    _require_schema(engine)
    try:
        poll(state.settings, Brain.from_settings(state.settings, engine))
    except TelegramNotConfigured as error:
        fail([str(error)], code=2)


@staff_app.command("add")
def staff_add(
    email: Annotated[str, typer.Option(help="login e-mail")],
    name: Annotated[str, typer.Option(help="name shown to colleagues")],
    role: Annotated[
        str,
        typer.Option(
            help="adviser; lead (an adviser who manages the partner's keys, webhook); coordinator; admin"
        ),
    ],
    partner: Annotated[str | None, typer.Option(help="partner id (advisers, leads)")] = None,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="asked when not given")
    ] = "",
) -> None:
    """Create a staff account (the password is stored hashed with Argon2)."""
    from bot.db import transaction
    from bot.staff import StaffError, add_staff

    engine = _engine()
    _require_schema(engine)
    try:
        with transaction(engine) as session:
            staff = add_staff(session, email, name, role, password, partner)
            typer.echo(f"staff #{staff.id} {staff.email} ({staff.role}) created")
    except StaffError as error:
        fail([str(error)])


@privacy_app.command("export")
def privacy_export(
    channel: Annotated[str, typer.Option(help="telegram, whatsapp, widget or cli")],
    user: Annotated[
        str, typer.Option(help="the youth's id on that channel (chat id, phone, conversation id)")
    ],
) -> None:
    """Everything stored about one youth, as JSON, for staff answering an access request."""
    from sqlalchemy import select

    from bot.models import Youth
    from bot.privacy import Pseudonyms, export, secret_key

    engine = _engine()
    _require_schema(engine)
    ref = Pseudonyms(secret_key(state.settings)).ref(channel, user)
    with session_factory(engine)() as session:
        youth = session.scalar(select(Youth).where(Youth.channel == channel, Youth.user_ref == ref))
        if youth is None:
            fail([f"nothing is stored about {channel} user {user}"])
        typer.echo(json.dumps(export(session, youth), ensure_ascii=False, indent=2, default=str))


@privacy_app.command("erase")
def privacy_erase(
    channel: Annotated[str, typer.Option(help="telegram, whatsapp, widget or cli")],
    user: Annotated[
        str, typer.Option(help="the youth's id on that channel (chat id, phone, conversation id)")
    ],
) -> None:
    """Erase one youth, as « oublie-moi » does (for an erasure request received by staff); logged in the
    erasure log so that a restored backup does not bring them back."""
    from datetime import UTC, datetime

    from sqlalchemy import delete

    from bot.db import forget_deleted, transaction
    from bot.models import Youth
    from bot.privacy import ErasureLog, Pseudonyms, secret_key

    engine = _engine()
    _require_schema(engine)
    ref = Pseudonyms(secret_key(state.settings)).ref(channel, user)
    with transaction(engine) as session:
        result = session.execute(delete(Youth).where(Youth.channel == channel, Youth.user_ref == ref))
        found = int(getattr(result, "rowcount", 0) or 0)
    forget_deleted(engine)
    ErasureLog.of(state.settings).record(channel, ref, datetime.now(UTC))
    typer.echo(f"{channel} user erased" if found else f"nothing was stored about {channel} user {user}")


@stats_app.command("backfill")
def stats_backfill() -> None:
    """Count the days before the statistics existed, from the youths, messages and questions still stored
    (once: the days already tallied are never counted again)."""
    from datetime import UTC, datetime

    from bot.backfill import backfill
    from bot.db import transaction
    from bot.texts import load_languages

    engine = _engine()
    _require_schema(engine)
    languages = load_languages(state.settings.data_dir / "dialogue")
    full = [texts.card("places_full") for texts in languages.values()]
    with transaction(engine) as session:
        done = backfill(session, datetime.now(UTC).date(), full)
    typer.echo(f"days before {done.before}: {done.youths} youth(s) counted, {done.counts} count(s) added")


@privacy_app.command("purge")
def privacy_purge() -> None:
    """Delete now what is older than the retention periods of config.yml (also run daily by the server)."""
    from datetime import UTC, datetime

    from bot.db import transaction
    from bot.privacy import purge

    engine = _engine()
    _require_schema(engine)
    with transaction(engine) as session:
        counts = purge(session, datetime.now(UTC), state.settings.retention)
    typer.echo(", ".join(f"{kind}: {count}" for kind, count in counts.items()))


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="default: server.host")] = None,
    port: Annotated[int | None, typer.Option(help="default: server.port")] = None,
    workers: Annotated[int | None, typer.Option(min=1, max=64, help="default: server.workers")] = None,
    jobs: Annotated[
        bool | None,
        typer.Option(
            "--jobs/--no-jobs", help="run the sender and scheduled jobs here (default: server.jobs)"
        ),
    ] = None,
    migrate: Annotated[bool, typer.Option(help="run `db upgrade` first (once, under a lock)")] = False,
) -> None:
    """Start the web application (channels, widget, admin, health, metrics)."""
    import os
    import shutil
    import tempfile

    import uvicorn

    from sixtcap.serving import run_workers

    settings = state.settings
    if jobs is not None:
        os.environ["SIXTCAP_SERVER__JOBS"] = "true" if jobs else "false"
        settings = settings.model_copy(update={"server": settings.server.model_copy(update={"jobs": jobs})})
    if migrate:
        upgrade(_engine())
    count = workers or settings.server.workers
    options = {
        "host": host or settings.server.host,
        "port": port or settings.server.port,
        "log_level": settings.log_level.lower(),
        "log_config": None,  # keep the redacting JSON logging set up above
        "proxy_headers": True,
        "forwarded_allow_ips": settings.server.forwarded_allow_ips,
        "timeout_graceful_shutdown": int(settings.server.shutdown_grace_seconds) + 1,
    }
    if count == 1:
        from sixtcap.app import create_app

        uvicorn.run(create_app(settings, freeze_heap=settings.server.gc_freeze), **options)  # type: ignore[arg-type]
        return
    if settings.database_url.startswith("sqlite"):
        typer.echo("warning: several workers on SQLite write one at a time; use PostgreSQL", err=True)
    # The workers' counters meet in one folder, so that any of them answers /metrics for all.
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    folder = given or tempfile.mkdtemp(prefix="sixtcap-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    for stale in Path(folder).glob("*.db"):  # counters of a previous run
        stale.unlink()
    if state.config_path is not None:
        os.environ["SIXTCAP_CONFIG"] = str(state.config_path)
    try:
        run_workers(  # uvicorn.run's workers, each response sent at once (sixtcap/serving.py)
            "sixtcap.app:from_environment",
            count,
            timeout_worker_healthcheck=settings.server.worker_healthcheck_seconds,
            **options,
        )
    finally:
        if not given:
            shutil.rmtree(folder, ignore_errors=True)


@app.command("worker")
def worker(
    host: Annotated[str | None, typer.Option(help="default: worker.host")] = None,
    port: Annotated[int | None, typer.Option(help="default: worker.port")] = None,
) -> None:
    """Run the outbox sender and the scheduled jobs (no web application): /livez, /readyz, /metrics."""
    import uvicorn

    from sixtcap.app import create_worker_app

    settings = state.settings
    uvicorn.run(
        create_worker_app(settings),
        host=host or settings.worker.host,
        port=port or settings.worker.port,
        log_level=settings.log_level.lower(),
        log_config=None,
        timeout_graceful_shutdown=int(settings.server.shutdown_grace_seconds) + 1,
    )


def main() -> None:
    app()
