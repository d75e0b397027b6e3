"""The services near a point are asked of the database once per catalogue version (bot/catalogue/nearby.py,
NearbyCache): the same question again makes no query, the same answer; a change of the catalogue (which
moves its version, bot/catalogue/snapshot.py) is seen at the next turn."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, event, select

from bot.catalogue.nearby import Around, NearbyCache, nearest_services
from bot.db import transaction
from bot.models import Service
from bot.territory import Point, Territory

JOB = "trouver-un-emploi--repondre-a-des-offres-demploi"


def around(territory: Territory) -> Around:
    commune = territory.commune("Champigny-sur-Marne")
    assert commune is not None
    point = Point(commune.latitude, commune.longitude)
    return Around(point, 25.0, frozenset({JOB}), False, frozenset(), (19, 19), 20)


def test_the_same_question_is_answered_without_a_query_until_the_catalogue_changes(
    loaded_engine: Engine, territory: Territory
) -> None:
    cache, question = NearbyCache(), around(territory)
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    with transaction(loaded_engine) as session:
        expected = nearest_services(session, question)
    assert expected, "services near Champigny for a job"
    event.listen(loaded_engine, "before_cursor_execute", count)
    try:
        with transaction(loaded_engine) as session:
            first = cache.nearest(session, question)
        asked = len(statements)
        with transaction(loaded_engine) as session:
            again = cache.nearest(session, question)
        again_statements = statements[asked:]
    finally:
        event.remove(loaded_engine, "before_cursor_execute", count)
    assert first == expected and again == expected
    selects = [s for s in again_statements if "squared" in s]
    assert selects == []  # only the catalogue's version was read

    gone = expected[0].service_id
    with transaction(loaded_engine) as session:  # as every change of the catalogue does: updated_at
        service = session.scalars(select(Service).where(Service.id == gone)).one()
        service.active = False
        service.updated_at = datetime.now(UTC) + timedelta(seconds=1)
    with transaction(loaded_engine) as session:
        changed = cache.nearest(session, question)
        assert changed == nearest_services(session, question)
    assert gone not in {near.service_id for near in changed}


def test_the_oldest_answers_are_dropped_past_the_size(loaded_engine: Engine, territory: Territory) -> None:
    cache, question = NearbyCache(size=2), around(territory)
    questions = [question, *(Around(**{**question.__dict__, "limit": n}) for n in (5, 7))]
    with transaction(loaded_engine) as session:
        for asked in questions:
            assert cache.nearest(session, asked) == nearest_services(session, asked)
    assert list(cache._answers) == questions[1:]
