"""Limits that fit a youth service, as an abuser and as staff meet them: rates per conversation, per
address and for everyone (429 with Retry-After), bodies too large (413 before reading), log-in floods
(throttled, then the account waits longer each time, Argon2 never holding SQLite's write lock), weak
passwords, API keys that expire, accounts whose credentials die with their deactivation, a widget message
sent twice answered once. On SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, select, text

from bot import staff as staff_module
from bot.config import LimitsSettings, Settings
from bot.db import make_engine, session_factory, transaction
from bot.migrations import upgrade
from bot.models import Message, Staff
from bot.staff import LoginPolicy, add_staff, log_in
from bot.throttle import Limited, Throttle
from nlu.parser import EmbeddedParser
from tests.conftest import channel_settings, running_app

PASSWORD = "un-mot-de-passe-solide"


def limited_settings(**rates: Any) -> Settings:
    base = channel_settings()
    return base.model_copy(update={"limits": base.limits.model_copy(update=rates)})


@pytest.fixture
def app(
    loaded_engine: Engine, parser: EmbeddedParser, request: pytest.FixtureRequest
) -> Iterator[TestClient]:
    rates = getattr(request, "param", {})
    with transaction(loaded_engine) as session:
        add_staff(session, "admin@6tcap.example", "Admin", "admin", PASSWORD, None)
        add_staff(session, "bdm@6tcap.example", "Bea", "adviser", PASSWORD, "mission_locale_bords_de_marne")
    with running_app(limited_settings(**rates), loaded_engine, parser) as client:
        yield client


def post(client: TestClient, conversation: str, **body: Any) -> Any:
    return client.post("/widget/messages", json={"conversation_id": conversation, **body})


@pytest.mark.parametrize(
    "app", [{"widget_per_conversation": "3/minute", "widget_per_ip": "6/minute"}], indirect=True
)
def test_one_conversation_or_one_address_cannot_flood_the_widget(app: TestClient) -> None:
    flooded = str(uuid.uuid4())
    assert [post(app, flooded, text="salut").status_code for _ in range(4)] == [200, 200, 200, 429]
    refused = post(app, flooded, text="salut")
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["retry_after"] == int(refused.headers["Retry-After"])
    assert post(app, str(uuid.uuid4()), text="salut").status_code == 200  # another youth is served
    # the address has now sent 6: new conversations from it wait too
    assert post(app, str(uuid.uuid4()), text="salut").status_code == 429
    assert app.get(f"/widget/messages?conversation_id={flooded}").status_code == 429


@pytest.mark.parametrize("app", [{"widget_global": "4/minute"}], indirect=True)
def test_everyone_together_has_a_ceiling(app: TestClient) -> None:
    codes = [post(app, str(uuid.uuid4()), text="salut").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 200, 429]


def test_the_widget_tells_the_youth_to_wait_kindly() -> None:
    script = (Settings().root / "webhooks" / "static" / "widget.js").read_text(encoding="utf-8")
    assert "response.status === 429" in script and "Attends ${seconds} s" in script


def test_a_body_too_large_is_refused_before_it_is_read(app: TestClient, loaded_engine: Engine) -> None:
    huge = b'{"conversation_id": "%s", "text": "' % str(uuid.uuid4()).encode() + b"a" * 20_000_000 + b'"}'
    response = app.post("/widget/messages", content=huge, headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and "too large" in response.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it comes
        yield b'{"conversation_id": "%s", "text": "' % str(uuid.uuid4()).encode()
        for _ in range(100):
            yield b"a" * 10_000
        yield b'"}'

    chunked = app.post("/widget/messages", content=chunks(), headers={"Content-Type": "application/json"})
    assert chunked.status_code == 413
    with session_factory(loaded_engine)() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 0
    assert post(app, str(uuid.uuid4()), text="salut").status_code == 200


def login(client: TestClient, password: str, email: str = "bdm@6tcap.example") -> Any:
    return client.post("/admin/api/login", json={"email": email, "password": password})


def test_wrong_passwords_make_the_account_wait_even_for_the_right_one(app: TestClient) -> None:
    codes = [login(app, f"wrong-{i}-password").status_code for i in range(5)]
    assert codes == [401] * 5
    locked = login(app, PASSWORD)
    assert locked.status_code == 429 and 25 <= int(locked.headers["Retry-After"]) <= 30
    assert "try again" in locked.json()["detail"]
    assert login(app, PASSWORD, "admin@6tcap.example").status_code == 200  # another account is not locked


def test_the_wait_doubles_and_a_right_password_after_it_starts_again(loaded_engine: Engine) -> None:
    with transaction(loaded_engine) as session:
        add_staff(session, "x@6tcap.example", "X", "admin", PASSWORD, None)
    policy = LoginPolicy(free_attempts=2, first_wait_seconds=30, max_wait_seconds=100)
    now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    assert log_in(loaded_engine, "x@6tcap.example", "wrong-wrong-1", now, policy).wait_seconds == 0
    log_in(loaded_engine, "x@6tcap.example", "wrong-wrong-2", now, policy)  # 2nd: now waits 30 s
    assert log_in(loaded_engine, "x@6tcap.example", PASSWORD, now, policy).wait_seconds == 30
    later = now + timedelta(seconds=31)
    log_in(loaded_engine, "x@6tcap.example", "wrong-wrong-3", later, policy)  # 3rd: 60 s
    assert log_in(loaded_engine, "x@6tcap.example", PASSWORD, later, policy).wait_seconds == 60
    later += timedelta(seconds=61)
    log_in(loaded_engine, "x@6tcap.example", "wrong-wrong-4", later, policy)  # 4th: capped at 100 s
    assert log_in(loaded_engine, "x@6tcap.example", PASSWORD, later, policy).wait_seconds == 100
    later += timedelta(seconds=101)
    done = log_in(loaded_engine, "x@6tcap.example", PASSWORD, later, policy)
    assert done.token is not None
    with session_factory(loaded_engine)() as session:
        account = session.scalars(select(Staff).where(Staff.email == "x@6tcap.example")).one()
        assert account.failed_logins == 0 and account.locked_until is None


@pytest.mark.parametrize("app", [{"login_per_ip": "3/minute"}], indirect=True)
def test_one_address_cannot_try_many_passwords(app: TestClient) -> None:
    emails = ["nobody@6tcap.example", "bdm@6tcap.example", "admin@6tcap.example", "admin@6tcap.example"]
    codes = [login(app, "wrong-password-1", email).status_code for email in emails]
    assert codes == [401, 401, 401, 429]


def test_argon2_runs_outside_the_write_lock(loaded_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """While a password is being checked, another process can write (a youth's message goes through)."""
    with transaction(loaded_engine) as session:
        add_staff(session, "y@6tcap.example", "Y", "admin", PASSWORD, None)
    writable: list[bool] = []

    class Watching(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            writable.append(can_write_now(loaded_engine))
            return super().verify(hash, password)

    monkeypatch.setattr(staff_module, "hasher", Watching())
    now = datetime.now(UTC)
    assert log_in(loaded_engine, "y@6tcap.example", PASSWORD, now, LoginPolicy()).token is not None
    assert log_in(loaded_engine, "y@6tcap.example", "wrong-wrong", now, LoginPolicy()).token is None
    assert writable == [True, True]


def can_write_now(engine: Engine) -> bool:
    """Whether another connection can take the write lock at once (SQLite), or write a row (PostgreSQL)."""
    if engine.dialect.name == "sqlite":
        other = sqlite3.connect(str(engine.url.database), timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            other.close()
    with engine.connect() as connection:  # no other connection sits in a transaction, holding locks
        idle = connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
            )
        ).scalar()
        return idle == 0


def admin_token(client: TestClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {login(client, PASSWORD, 'admin@6tcap.example').json()['token']}"}


def test_common_passwords_are_refused(app: TestClient) -> None:
    headers = admin_token(app)
    for weak in ("password12", "azertyuiop1", "bea-bea-bea-bea"):
        body = {"email": "n@6tcap.example", "name": "Bea", "role": "admin", "password": weak}
        refused = app.post("/admin/api/staff", json=body, headers=headers)
        assert refused.status_code == 422 and "weak" in refused.json()["detail"], weak
    body = {"email": "n@6tcap.example", "name": "N", "role": "admin", "password": "Marne&Bois-2026-ok"}
    assert app.post("/admin/api/staff", json=body, headers=headers).status_code == 201


def test_api_keys_expire(app: TestClient, loaded_engine: Engine) -> None:
    headers = admin_token(app)
    created = app.post("/admin/api/staff/1/api-keys", json={"name": "erp"}, headers=headers).json()
    expires = datetime.fromisoformat(created["expires_at"])
    assert timedelta(days=364) < expires - datetime.now(UTC) <= timedelta(days=365)
    key = {"X-API-Key": created["api_key"]}
    assert app.get("/admin/api/handoffs", headers=key).status_code == 200
    with transaction(loaded_engine) as session:
        from bot.models import StaffToken

        row = session.get(StaffToken, created["id"])
        assert row is not None
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    assert app.get("/admin/api/handoffs", headers=key).status_code == 401


def test_a_deactivated_account_never_gets_its_credentials_back(app: TestClient) -> None:
    headers = admin_token(app)
    adviser = {"Authorization": f"Bearer {login(app, PASSWORD).json()['token']}"}
    key = app.post("/admin/api/staff/2/api-keys", json={"name": "k"}, headers=headers).json()["api_key"]
    assert app.patch("/admin/api/staff/2", json={"active": False}, headers=headers).status_code == 200
    assert app.patch("/admin/api/staff/2", json={"active": True}, headers=headers).status_code == 200
    assert app.get("/admin/api/handoffs", headers=adviser).status_code == 401
    assert app.get("/admin/api/handoffs", headers={"X-API-Key": key}).status_code == 401
    assert login(app, PASSWORD).status_code == 200  # a new log-in works


def test_a_widget_message_sent_twice_is_answered_once(app: TestClient, loaded_engine: Engine) -> None:
    conversation, key = str(uuid.uuid4()), str(uuid.uuid4())
    first = post(app, conversation, text="salut", message_id=key)
    again = post(app, conversation, text="salut", message_id=key)
    assert first.status_code == again.status_code == 200
    assert first.json()["messages"] and again.json() | {"messages": []} == again.json()
    assert again.json()["duplicate"] is True
    with session_factory(loaded_engine)() as session:
        inbound = session.scalar(select(func.count()).select_from(Message).where(Message.direction == "in"))
    assert inbound == 1
    assert post(app, conversation, text="salut", message_id=str(uuid.uuid4())).json()["duplicate"] is False


def test_server_processes_share_the_limits_on_postgresql(postgres_url: str) -> None:
    """`sixtcap serve --workers 2`: a youth whose messages reach both processes still gets the limit once,
    and what is counted is not the conversation's id."""
    engine = make_engine(postgres_url)
    upgrade(engine)
    rates = limited_settings(widget_per_conversation="3/minute").limits
    first, second = Throttle(rates, engine, b"key"), Throttle(rates, make_engine(postgres_url), b"key")
    conversation = str(uuid.uuid4())
    for process in (first, second, first):
        process.hit("widget_per_conversation", conversation)
    with pytest.raises(Limited) as refused:
        second.hit("widget_per_conversation", conversation)
    assert 1 <= refused.value.retry_after <= 60
    second.hit("widget_per_conversation", str(uuid.uuid4()))  # another youth is served
    with engine.connect() as connection:
        keys = connection.execute(text("SELECT key FROM rate_windows")).scalars().all()
    assert keys and conversation not in keys
    engine.dispose()


def rate_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT scope, SUM(hits) FROM rate_windows GROUP BY scope"))
        return {scope: int(hits) for scope, hits in rows}


def test_a_request_counts_its_rates_in_one_round_trip_on_postgresql(postgres_url: str) -> None:
    """The widget's three rates (address, conversation, everyone) in one statement of their own
    connection, as if counted one after the other: the rate that refuses a request and those after it do
    not count it, those before it do."""
    engine = make_engine(postgres_url)
    upgrade(engine)
    rates = limited_settings(widget_per_conversation="2/minute").limits
    throttle = Throttle(rates, engine, b"key")
    assert throttle.shared is not None
    statements: list[str] = []
    event.listen(throttle.shared.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    conversation = str(uuid.uuid4())
    rest = (("widget_per_conversation", conversation), ("widget_global", ""))
    for _ in range(2):
        throttle.hit("widget_per_ip", "10.0.0.1", *rest)
    assert len(statements) == 2
    with pytest.raises(Limited) as refused:
        throttle.hit("widget_per_ip", "10.0.0.1", *rest)
    assert refused.value.scope == "widget_per_conversation"
    assert rate_counts(engine) == {"widget_per_ip": 3, "widget_per_conversation": 2, "widget_global": 2}
    engine.dispose()
    throttle.shared.engine.dispose()


def test_the_same_order_of_counting_in_memory() -> None:
    """SQLite (one process): the same rule, in this process's memory."""
    rates = limited_settings(widget_per_conversation="2/minute", widget_global="3/minute").limits
    throttle = Throttle(rates, make_engine("sqlite://"))
    assert throttle.shared is None
    conversation = str(uuid.uuid4())
    for _ in range(2):
        throttle.hit(
            "widget_per_ip", "10.0.0.1", ("widget_per_conversation", conversation), ("widget_global", "")
        )
    with pytest.raises(Limited) as refused:
        throttle.hit(
            "widget_per_ip", "10.0.0.1", ("widget_per_conversation", conversation), ("widget_global", "")
        )
    assert refused.value.scope == "widget_per_conversation"
    throttle.hit(
        "widget_per_ip", "10.0.0.1", ("widget_per_conversation", str(uuid.uuid4())), ("widget_global", "")
    )
    with pytest.raises(Limited) as refused:  # the refused request did not use up everyone's third
        throttle.hit(
            "widget_per_ip", "10.0.0.1", ("widget_per_conversation", str(uuid.uuid4())), ("widget_global", "")
        )
    assert refused.value.scope == "widget_global"


@pytest.mark.parametrize("durable", [False, True])
def test_rate_counts_wait_for_the_disk_only_if_durable(postgres_url: str, durable: bool) -> None:
    """database.durable_rate_counts: the counts' connections commit without waiting for the disk unless
    it is true; the turns' connections always wait."""
    engine = make_engine(postgres_url)
    throttle = Throttle(LimitsSettings(), engine, b"key", durable)
    assert throttle.shared is not None
    with throttle.shared.engine.connect() as connection:
        assert connection.execute(text("SHOW synchronous_commit")).scalar() == ("on" if durable else "off")
    with engine.connect() as connection:
        assert connection.execute(text("SHOW synchronous_commit")).scalar() == "on"
    engine.dispose()
    throttle.shared.engine.dispose()
