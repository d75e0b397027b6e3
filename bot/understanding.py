"""The bot's way to understand a message: the NLU backend chosen in config.yml."""

from __future__ import annotations

from bot.config import Settings
from bot.dialogue.turn import BUTTON_INTENTS, FAQ, INFORM, MEDIA, VALUE_BUTTON_INTENTS
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


# what the dialogue handles besides the classifier's intents: buttons, answers, media, danger, fallback
DIALOGUE_INTENTS = frozenset(
    {*BUTTON_INTENTS.values(), *VALUE_BUTTON_INTENTS, INFORM, MEDIA, FAQ, "crisis", "nlu_fallback"}
)


def known_intents(parser: Parser) -> frozenset[str] | None:
    """Every intent a turn may carry with this parser (None for a parser that does not say)."""
    embedded = parser.fallback if isinstance(parser, RasaParser) else parser
    if not isinstance(embedded, EmbeddedParser):
        return None
    return DIALOGUE_INTENTS | frozenset(embedded.model.classifier.intents)
