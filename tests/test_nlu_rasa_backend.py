"""The `rasa` backend against a stub Rasa server on 127.0.0.1 answering Rasa 3's exact shape."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from nlu.parser import EmbeddedParser
from nlu.rasa_backend import RasaParser
from nlu.text import fold


class StubRasa:
    """Records requests; answers like `rasa run --enable-api` (or fails, as told)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.mode = "ok"  # ok | error | slow | garbage
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.requests.append({"path": self.path, "body": body})
                if stub.mode == "error":
                    self.send_response(500)
                    self.end_headers()
                    return
                if stub.mode == "slow":
                    time.sleep(1.0)
                answer: Any = "<html>oops</html>" if stub.mode == "garbage" else stub.answer(body["text"])
                payload = (answer if isinstance(answer, str) else json.dumps(answer)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    @staticmethod
    def answer(text: str) -> dict[str, Any]:
        return {
            "text": text,
            "intent": {"name": "greet", "confidence": 0.9731},
            "entities": [
                {
                    "entity": "commune",
                    "start": 0,
                    "end": 6,
                    "confidence_entity": 0.99,
                    "value": "Champigny-sur-Marne",
                    "extractor": "DIETClassifier",
                    "processors": ["EntitySynonymMapper"],
                }
            ],
            "text_tokens": [[0, 6]],
            "intent_ranking": [
                {"name": "greet", "confidence": 0.9731},
                {"name": "thanks", "confidence": 0.0112},
            ],
            "response_selector": {"all_retrieval_intents": [], "default": {}},
        }


@pytest.fixture
def stub() -> Iterator[StubRasa]:
    server = StubRasa()
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def test_answers_come_from_the_server(stub: StubRasa, parser: EmbeddedParser) -> None:
    result = RasaParser(stub.url, parser).parse("champi salut")
    assert stub.requests == [{"path": "/model/parse", "body": {"text": "champi salut"}}]
    assert result["intent"] == {"name": "greet", "confidence": 0.9731}
    assert result["entities"][0]["value"] == "Champigny-sur-Marne"


def test_server_down_falls_back_to_the_embedded_model(parser: EmbeddedParser) -> None:
    result = RasaParser("http://127.0.0.1:9", parser, timeout_seconds=0.5, retries=1).parse("jcherche du taf")
    assert result["intent"]["name"] == "job"


def test_server_errors_are_retried_then_fall_back(stub: StubRasa, parser: EmbeddedParser) -> None:
    stub.mode = "error"
    result = RasaParser(stub.url, parser, retries=2).parse("jcherche du taf")
    assert len(stub.requests) == 3
    assert result["intent"]["name"] == "job"


def test_a_slow_server_times_out(stub: StubRasa, parser: EmbeddedParser) -> None:
    stub.mode = "slow"
    started = time.monotonic()
    result = RasaParser(stub.url, parser, timeout_seconds=0.2, retries=0).parse("jcherche du taf")
    assert result["intent"]["name"] == "job"
    assert time.monotonic() - started < 0.9


def test_a_wrong_shape_is_not_trusted(stub: StubRasa, parser: EmbeddedParser) -> None:
    stub.mode = "garbage"
    assert RasaParser(stub.url, parser).parse("jcherche du taf")["intent"]["name"] == "job"


def test_the_safety_layer_overrides_the_server(stub: StubRasa, parser: EmbeddedParser) -> None:
    result = RasaParser(stub.url, parser).parse("jveux plus vivre")
    assert result["intent"] == {"name": "crisis", "confidence": 1.0}
    assert any(e["entity"] == "crisis_kind" and e["value"] == "suicide" for e in result["entities"])


def test_config_selects_the_rasa_backend(stub: StubRasa, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.config import load_settings
    from bot.understanding import make_parser

    monkeypatch.setenv("SIXTCAP_NLU__BACKEND", "rasa")
    monkeypatch.setenv("SIXTCAP_NLU__RASA__URL", stub.url)
    monkeypatch.setenv("SIXTCAP_VAR_DIR", str(tmp_path))
    chosen = make_parser(load_settings())
    assert isinstance(chosen, RasaParser)
    assert chosen.parse("salut")["intent"]["name"] == "greet" and len(stub.requests) == 1


def test_the_danger_model_watches_the_server_too(stub: StubRasa, parser: EmbeddedParser) -> None:
    """No danger phrase here, and the server says something else: the danger model still sees it."""
    text = "Jsuis au bord de la Marne la, il fait nuit, j'ai plus peur"
    assert parser.model.lexicon.alarms(fold(text)) == []
    result = RasaParser(stub.url, parser).parse(text)
    assert result["intent"]["name"] == "crisis"
    assert any(e["entity"] == "crisis_kind" for e in result["entities"])
