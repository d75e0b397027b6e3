"""The bot's way to understand a message: the NLU backend chosen in config.yml."""

from __future__ import annotations

from bot.config import Settings
from nlu.model import NluData, load_or_train
from nlu.parser import EmbeddedParser, Parser, Thresholds
from nlu.rasa_backend import RasaParser


def nlu_data(settings: Settings) -> NluData:
    return NluData(settings.nlu_dir, settings.territory_file)


def thresholds(settings: Settings) -> Thresholds:
    return Thresholds(
        fallback=settings.nlu.fallback_threshold,
        crisis=settings.nlu.crisis_threshold,
        question=settings.nlu.question_threshold,
    )


def embedded_parser(settings: Settings) -> EmbeddedParser:
    return EmbeddedParser(load_or_train(nlu_data(settings), settings.var_dir), thresholds(settings))


def make_parser(settings: Settings) -> Parser:
    """The embedded model, or a Rasa server backed by it."""
    embedded = embedded_parser(settings)
    if settings.nlu.backend == "rasa":
        rasa = settings.nlu.rasa
        return RasaParser(rasa.url, embedded, timeout_seconds=rasa.timeout_seconds, retries=rasa.retries)
    return embedded
