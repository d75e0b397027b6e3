"""The throwaway PostgreSQL server the suite starts when no server answers on 127.0.0.1:5432."""

from __future__ import annotations

import psycopg
import pytest

from tests.pgserver import start_throwaway_server


@pytest.mark.slow
def test_throwaway_server_starts_answers_and_stops() -> None:
    url, stop = start_throwaway_server()
    try:
        with psycopg.connect(url) as connection:
            assert connection.execute("SELECT 1").fetchone() == (1,)
    finally:
        stop()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=2)
