"""The order a youth sees offers in: nearer bands first; within a band beginners see "débutant accepté"
first and youths without a licence or a car see offers near a station first; then the newest; only the
trade asked for, within the radius, never an expired offer; "Plus d'offres" pages without repeating.
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, text

from bot.db import transaction
from bot.offers.matching import Profile, ranked_offers
from bot.offers.stations import Stations
from bot.offers.store import OfferIn, save_offers
from bot.territory import Point, Territory

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
HOME = Point(48.8172, 2.5156)  # Champigny-sur-Marne
STATION = (48.8172, 2.5156)  # a station at home, for the test
KM = 1 / 111.0  # about a kilometre of latitude


def place(engine: Engine, territory: Territory, *offers: OfferIn) -> None:
    with transaction(engine) as session:
        save_offers(session, "partner", list(offers), NOW, territory, Stations((STATION,), 1.5))


def offer(offer_id: str, north_km: float, days_old: float = 1, **fields: object) -> OfferIn:
    base = {
        "id": offer_id,
        "title": f"Offre {offer_id}",
        "latitude": HOME.latitude + north_km * KM,
        "longitude": HOME.longitude,
        "rome_code": "D1214",
        "experience": "D",
        "created_at": NOW - timedelta(days=days_old),
    }
    return OfferIn.model_validate(base | fields)


def ids(engine: Engine, profile: Profile, codes: tuple[str, ...] = ("D1214",), **page: int) -> list[str]:
    with transaction(engine) as session:
        return [o.id for o in ranked_offers(session, codes, HOME, profile, NOW, **page)]


MOBILE = Profile(radius_km=30, beginner=False, mobile=True)


def test_nearer_bands_first_then_the_newest(engine: Engine, territory: Territory) -> None:
    place(
        engine,
        territory,
        offer("far-new", 12, days_old=0),
        offer("near-old", 1, days_old=20),
        offer("near-new", 1.5, days_old=2),
        offer("mid", 4),
        offer("mid-older", 4.5, days_old=3),
    )
    assert ids(engine, MOBILE) == ["near-new", "near-old", "mid", "mid-older", "far-new"]


def test_beginners_see_offers_that_accept_beginners_first(engine: Engine, territory: Territory) -> None:
    place(
        engine,
        territory,
        offer("exp-near", 0.5, experience="E"),
        offer("beginner", 1.5, experience="D", days_old=9),
        offer("beginner-other-band", 8, experience="D"),
    )
    beginner = Profile(radius_km=30, beginner=True, mobile=True)
    assert ids(engine, beginner) == ["beginner", "exp-near", "beginner-other-band"]
    assert ids(engine, MOBILE) == ["exp-near", "beginner", "beginner-other-band"]


def test_without_licence_or_car_offers_far_from_a_station_come_later(
    engine: Engine, territory: Territory
) -> None:
    place(engine, territory, offer("no-station", 3.5))
    with transaction(engine) as session:  # "by-station" has a station of its own beside it
        save_offers(
            session, "partner", [offer("by-station", 4.5, days_old=9)], NOW, territory,
            Stations((STATION, (HOME.latitude + 4.5 * KM, HOME.longitude)), 1.5),
        )  # fmt: skip
    on_foot = Profile(radius_km=30, beginner=False, mobile=False)
    assert ids(engine, on_foot) == ["by-station", "no-station"]
    assert ids(engine, MOBILE) == ["no-station", "by-station"]


def test_only_the_trade_asked_within_the_radius_and_never_expired(
    engine: Engine, territory: Territory
) -> None:
    place(
        engine,
        territory,
        offer("sale", 1),
        offer("garage", 1, rome_code="I1604"),
        offer("too-far", 12),
        offer("gone", 1, expires_at=NOW - timedelta(hours=1)),
    )
    near = Profile(radius_km=10, beginner=False, mobile=True)
    assert ids(engine, near) == ["sale"]
    assert set(ids(engine, near, codes=())) == {"sale", "garage"}


def test_apprenticeships_and_trainings_by_what_the_youth_wants(engine: Engine, territory: Territory) -> None:
    place(
        engine,
        territory,
        offer("cdi", 1),
        offer("apprentissage", 2, alternance=True, contract_type="APP"),
        offer("formation", 3, kind="training"),
    )
    assert ids(engine, Profile(wanted="alternance", radius_km=30)) == ["apprentissage"]
    assert ids(engine, Profile(wanted="training", radius_km=30)) == ["apprentissage", "formation"]
    assert ids(engine, Profile(wanted="job", radius_km=30)) == ["cdi", "apprentissage"]


def test_more_offers_pages_on_without_repeating(engine: Engine, territory: Territory) -> None:
    place(engine, territory, *(offer(f"o{n:02d}", n * 0.4, days_old=n) for n in range(12)))
    first, second, third = (ids(engine, MOBILE, limit=5, offset=start) for start in (0, 5, 10))
    assert len(first) == 5 and len(second) == 5 and len(third) == 2
    assert not set(first) & set(second) and not set(second) & set(third)
    assert first + second + third == ids(engine, MOBILE, limit=20)


def test_a_diploma_above_the_youths_comes_later_any_trade_or_one(
    engine: Engine, territory: Territory
) -> None:
    place(
        engine,
        territory,
        offer("bts", 1, days_old=0, diploma_level=5, kind="training"),
        offer("cap", 1.2, days_old=5, diploma_level=3, kind="training"),
        offer("bac", 1.5, days_old=3, diploma_level=4, kind="training"),
    )
    cap = Profile(wanted="training", radius_km=10, beginner=False, mobile=True, diploma_level=3)
    for codes in (("D1214",), ()):  # a trade, or any trade: the same order
        # a training one level above the youth's is fine (a bac after a CAP); a BTS comes after, newest or not
        assert ids(engine, cap, codes=codes) == ["bac", "cap", "bts"]


def test_every_shape_of_the_query_stays_within_psycopgs_cache() -> None:
    """psycopg keeps a query's conversion only under 4 kB: a longer text is parsed again at every call
    (the benchmark's client time doubled). Every profile's query stays under it."""
    from itertools import product

    from sqlalchemy.dialects import postgresql

    from bot.offers.matching import _statement

    dialect = postgresql.psycopg.dialect()  # type: ignore[attr-defined]
    for by_trade, wanted, beginner, mobile, diploma in product(
        (True, False), ("job", "alternance", "training"), (True, False), (True, False), (True, False)
    ):
        statement = _statement(
            "postgresql", by_trade, wanted, beginner, mobile, diploma, (True,) * 3 + (False,) * 2
        )
        assert len(str(statement.compile(dialect=dialect)).encode()) < 4096, (by_trade, wanted, diploma)


def test_on_postgresql_the_query_is_planned_once_per_connection(engine: Engine, territory: Territory) -> None:
    """Planning the query (a branch per ring) costs more than running it: PostgreSQL prepares it at the
    first search on a connection and keeps one plan for any youth (bot/db.py prepared_at_once)."""
    if engine.dialect.name != "postgresql":
        return
    place(engine, territory, offer("near", 1), offer("far", 12))
    with transaction(engine) as session:
        for north_km in (0, 3, 9):
            point = Point(HOME.latitude + north_km * KM, HOME.longitude)
            assert [o.id for o in ranked_offers(session, ("D1214",), point, MOBILE, NOW)] == (
                ["near", "far"] if north_km < 9 else ["far", "near"]
            )
        plans = session.execute(
            text(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE '%UNION ALL%'"
            )
        ).one()
        assert plans == (3, 0)
        driver = session.connection().connection.driver_connection
        assert driver.prepare_threshold == 5  # psycopg's default again for every other statement
