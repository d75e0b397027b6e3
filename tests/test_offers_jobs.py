"""The scheduled jobs of offers and follow-ups: each runs once however many processes tick it, when it is
due (also after a restart), refreshes a source through its real client (stub server), and follow-ups
reach the youth through the outbox: on WhatsApp outside the 24-hour window, as the follow-up template."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, func, select, update

from bot import followups, leases, stats
from bot.brain import Brain
from bot.config import FranceTravailSettings, OffersSettings, WhatsAppSettings, load_settings
from bot.db import session_factory, transaction
from bot.enums import FollowUpStatus
from bot.messages import Incoming, Outgoing
from bot.models import FollowUp, Message, Offer, Youth
from bot.resources import Resources
from bot.territory import load_territory
from nlu.parser import EmbeddedParser
from sixtcap.background import EXPIRE_JOB, FOLLOW_UP_JOB, REFRESH_JOB
from tests.conftest import DATA, PSEUDONYMS, channel_settings, load_demo_offers, running_app
from tests.stubs.offers import StubFranceTravail, ft_offer
from tests.stubs.platforms import StubGraph
from tests.test_whatsapp import PHONE, notification, post, text

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
HOUR, MINUTE = timedelta(hours=1), timedelta(minutes=1)


def test_a_job_runs_once_however_many_processes_tick_it(engine: Engine) -> None:
    won: list[str] = []
    start = threading.Barrier(6)

    def process(name: str) -> None:
        start.wait()
        if leases.take(engine, "offers-expire", NOW, HOUR, 10 * MINUTE, holder=name):
            won.append(name)

    threads = [threading.Thread(target=process, args=(f"p{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1
    leases.finish(engine, "offers-expire", NOW + MINUTE, holder=won[0])
    assert not leases.take(engine, "offers-expire", NOW + 30 * MINUTE, HOUR, 10 * MINUTE, holder="p9")
    assert leases.take(engine, "offers-expire", NOW + HOUR + MINUTE, HOUR, 10 * MINUTE, holder="p9")


def test_a_process_that_died_mid_run_leaves_the_job_to_another_once_its_lease_ends(engine: Engine) -> None:
    assert leases.take(engine, "follow-ups", NOW, 5 * MINUTE, 10 * MINUTE, holder="dead")
    assert not leases.take(engine, "follow-ups", NOW + 9 * MINUTE, 5 * MINUTE, 10 * MINUTE, holder="alive")
    assert leases.take(engine, "follow-ups", NOW + 11 * MINUTE, 5 * MINUTE, 10 * MINUTE, holder="alive")


@pytest.fixture
def ft_stub() -> Iterator[StubFranceTravail]:
    stub = StubFranceTravail()
    yield stub
    stub.stop()


def test_the_refresh_job_reads_the_source_once_and_not_again_after_a_restart(
    loaded_engine: Engine, parser: EmbeddedParser, ft_stub: StubFranceTravail
) -> None:
    ft_stub.offers["94017"] = [ft_offer(n) for n in range(3)]
    source = FranceTravailSettings(
        token_url=ft_stub.token_url, search_url=ft_stub.search_url, communes=["94017"], every_minutes=60
    )
    settings = channel_settings(
        france_travail_client_id=SecretStr("sixtcap-id"),
        france_travail_client_secret=SecretStr("s3cret"),
        offers=OffersSettings(france_travail=source),
    )
    job = REFRESH_JOB.format("france_travail")
    with running_app(settings, loaded_engine, parser) as client:
        jobs = client.app.state.context.jobs  # type: ignore[attr-defined]
        assert jobs.leased[job]().created == 3
        assert jobs.leased[job]() is None  # not due again for an hour
    with running_app(settings, loaded_engine, parser) as client:  # a restart
        jobs = client.app.state.context.jobs  # type: ignore[attr-defined]
        assert jobs.leased[job]() is None
        assert jobs.leased[EXPIRE_JOB]() == 0
    assert len(ft_stub.searches()) == 1
    with session_factory(loaded_engine)() as session:
        assert (
            session.scalar(select(func.count()).select_from(Offer).where(Offer.source == "france_travail"))
            == 3
        )


@pytest.fixture
def graph() -> Iterator[StubGraph]:
    server = StubGraph()
    yield server
    server.stop()


@contextmanager
def whatsapp_youth(engine: Engine, parser: EmbeddedParser, graph: StubGraph) -> Iterator[TestClient]:
    """The app with WhatsApp on, and a youth who said hello (and got the welcome)."""
    settings = channel_settings(
        whatsapp_access_token=SecretStr("EAAG-test"),
        whatsapp_app_secret=SecretStr("whatsapp-app-secret"),
        whatsapp_verify_token=SecretStr("verify-me"),
        whatsapp=WhatsAppSettings(graph_url=graph.url, phone_number_id="1111"),
    )
    with running_app(settings, engine, parser) as client:
        post(client, notification(text("wamid.in1", "salut")))
        graph.wait_for(lambda calls: len(graph.messages()) >= 3)
        yield client


def test_a_due_follow_up_reaches_a_whatsapp_youth_as_the_follow_up_template_outside_the_window(
    loaded_engine: Engine, parser: EmbeddedParser, graph: StubGraph
) -> None:
    with whatsapp_youth(loaded_engine, parser, graph) as client:
        eight_days_ago = datetime.now(UTC) - timedelta(days=8)
        with transaction(loaded_engine) as session:
            youth_id = session.scalars(select(Youth.id)).one()
            followups.schedule(session, youth_id, eight_days_ago, 7)
            session.execute(update(Youth).values(last_seen_at=eight_days_ago))
        jobs = client.app.state.context.jobs  # type: ignore[attr-defined]
        assert jobs.leased[FOLLOW_UP_JOB]() == 1
        assert jobs.leased[FOLLOW_UP_JOB]() is None  # once per interval, whatever the processes
        graph.wait_for(lambda calls: any(m["type"] == "template" for m in graph.messages()))
        template = next(m for m in graph.messages() if m["type"] == "template")
        assert template["template"]["name"] == "sixtcap_relance" and template["to"] == PHONE
    with session_factory(loaded_engine)() as session:
        follow_up = session.scalars(select(FollowUp)).one()
        assert (follow_up.status, follow_up.sent_at is not None) == (FollowUpStatus.SENT, True)
        stored = session.scalars(select(Message.text).where(Message.intent == "follow_up")).one()
        assert "ça a marché" in stored


def test_a_due_follow_up_within_the_window_is_the_message_with_its_buttons(
    loaded_engine: Engine, parser: EmbeddedParser, graph: StubGraph
) -> None:
    with whatsapp_youth(loaded_engine, parser, graph) as client:
        with transaction(loaded_engine) as session:
            youth_id = session.scalars(select(Youth.id)).one()
            followups.schedule(session, youth_id, datetime.now(UTC) - timedelta(days=7, minutes=1), 7)
        assert client.app.state.context.jobs.leased[FOLLOW_UP_JOB]() == 1  # type: ignore[attr-defined]
        graph.wait_for(
            lambda calls: any("ça a marché" in json.dumps(m, ensure_ascii=False) for m in graph.messages())
        )
        sent = next(m for m in graph.messages() if "ça a marché" in json.dumps(m, ensure_ascii=False))
        titles = [b["reply"]["title"] for b in sent["interactive"]["action"]["buttons"]]
        assert titles == ["Oui 🎉", "Pas encore", "Stop les relances"]


def test_follow_up_answers_are_counted_for_the_statistics(
    loaded_engine: Engine, parser: EmbeddedParser
) -> None:
    """Five youths accept the follow-up, five say "stop" afterwards, one declines: the coordinators'
    report gives the counts it may show (accepted, stop) and hides the one too small to show."""
    load_demo_offers(loaded_engine, load_territory(DATA / "territory.yml"))
    brain = Brain(loaded_engine, Resources.load(load_settings()), parser, PSEUDONYMS, clock=lambda: NOW)

    def press(user: str, title: str, shown: list[Outgoing]) -> list[Outgoing]:
        buttons = [b for bubble in shown for b in bubble.buttons if b.title == title]
        assert buttons, (title, [b.title for bubble in shown for b in bubble.buttons])
        return brain.handle(Incoming("test", user, payload=buttons[-1].payload)).messages

    for n in range(6):
        user = f"u-follow-{n}"
        for said in ("wesh t as du boulot", "champi"):
            brain.handle(Incoming("test", user, text=said))
        shown = brain.handle(Incoming("test", user, text="19 ans")).messages
        for title in ("Un job", "Peu importe", "30 km", "Permis + voiture"):
            shown = press(user, title, shown)
        if n == 5:
            press(user, "Non merci", shown)
            continue
        press(user, "Oui, relance-moi", shown)
        brain.handle(Incoming("test", user, text="stop"))
    with session_factory(loaded_engine)() as session:
        day = NOW.date()
        counted = stats.report(session, stats.StatsFilters(day, day))["offer_follow_ups"]
    assert {row["value"]: row["youths"] for row in counted} == {"accepted": 5, "stop": 5, "declined": None}
