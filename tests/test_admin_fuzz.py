"""Bad input against the admin API's own OpenAPI schema (schemathesis, bounded): never a 5xx."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from sqlalchemy import Engine

from bot.db import transaction
from bot.staff import add_staff
from nlu.parser import EmbeddedParser
from tests.conftest import channel_settings, running_app

PASSWORD = "un-mot-de-passe-solide"


@pytest.fixture(scope="module")
def admin_client(module_engine: Engine, parser: EmbeddedParser) -> Iterator[tuple[TestClient, str]]:
    with transaction(module_engine) as session:
        add_staff(session, "fuzz-admin@6tcap.example", "Fuzz", "admin", PASSWORD, None)
    with running_app(channel_settings(), module_engine, parser) as client:
        token = client.post(
            "/admin/api/login", json={"email": "fuzz-admin@6tcap.example", "password": PASSWORD}
        ).json()
        yield client, token["token"]


def test_no_server_error_for_any_input(admin_client: tuple[TestClient, str]) -> None:
    client, token = admin_client
    schema = schemathesis.openapi.from_dict(client.get("/admin/openapi.json").json())
    failures: list[str] = []
    for operation in schema.get_all_operations():
        api = operation.ok()
        if api.path in ("/api/logout",):
            continue  # would end the fuzzing session itself

        strategy = api.as_strategy()

        @settings(
            max_examples=12,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def check(case: schemathesis.Case) -> None:
            kwargs = case.as_transport_kwargs(base_url="http://testserver/admin")
            headers = {**(kwargs.get("headers") or {}), "Authorization": f"Bearer {token}"}
            response = client.request(
                kwargs["method"], kwargs["url"], headers=headers, params=kwargs.get("params"),
                json=kwargs.get("json"), content=kwargs.get("data") if isinstance(kwargs.get("data"), bytes) else None,
            )  # fmt: skip
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}"
                )

        check()
    assert failures == []
