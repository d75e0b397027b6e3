"""Danger first: which helplines fit which kind of danger (`data/crisis.yml`), and the replies of the crisis
path, graded:

- a kind named plainly (suicide, violence, a night outside...): the fitting lines, most specific first, at
  most three cards, then the offer to be put in touch with a person;
- an indirect sign (hopelessness) or a crisis the classifier alone sees: 3114 at once, then the direct
  question "Est-ce que tu penses à mourir ou à te faire du mal ?" (yes: the suicide path; no: wellbeing);
- later in the same conversation: no repeated block, only the lines not shown yet, or a short reminder
  and the way to a person."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.cards import helpline_card, without_notes
from bot.messages import Button, Card, Outgoing
from bot.state import CRISIS, CRISIS_CHECK, State
from bot.territory import Helpline, Territory
from bot.texts import Texts
from nlu.datafile import read_yaml

MAJORITY = 18  # a youth younger than this is a minor
MEDICAL = "medical"  # the kind whose lines send someone (15, 112)
THREAT = "threat"  # the kind whose lines send the police (17, 112)
DAILY_HOURS = re.compile(r"(\d{1,2})h\d{0,2}\s*[–-]\s*(\d{1,2})h")  # "9h–23h", "8h–2h": open every day then
LIFE_KINDS = {"suicide", "hopelessness", "self_harm", "medical"}  # a friend's life at stake
LISTENING = ("crisis_listening_reply", "crisis_listening_reply_together")  # in turn, when listening
ABOUT_OTHER = "crisis_about_other"  # state.extra: the danger told is a friend's or a child's, not the youth's

SECRET_FACT = re.compile(r"anonym|confidenti")  # a line's own facts that answer "will my parents know?"


@dataclass(frozen=True)
class Kind:
    name: str
    label: str  # for staff, on an urgent question
    lines: tuple[str, ...]
    now: bool  # also say "in danger now: 17 / 112"
    minor_lines: tuple[str, ...] = ()  # instead of `lines` for a youth under 18, when they differ
    adult_lines: tuple[str, ...] = ()  # instead of `lines` for a youth who said they are 18 or over
    emergency: bool = False  # every later message repeats its lines first (an overdose)
    ask: bool = False  # an indirect sign: ask directly before assuming
    need: str | None = None  # a place nearby answers it too (a specific need of data/routing.yml)
    concern: str | None = None  # the concern whose places nearby help, once the youth says where they live
    answers: tuple[str, ...] = ()  # answers (data/answers/) a question in such a message gets after the lines


@dataclass(frozen=True)
class CrisisRules:
    kinds: dict[str, Kind]  # in order of urgency
    unnamed: str
    confirmed: str
    age_limits: dict[str, int]
    max_cards: int

    def ordered(self, names: list[str]) -> list[Kind]:
        """The known kinds among `names`, most urgent first; an unknown or empty list is the unnamed kind."""
        known = [kind for name, kind in self.kinds.items() if name in names]
        return known or [self.kinds[self.unnamed]]

    def answers_for(self, names: list[str]) -> list[str]:
        """The answers of data/answers/ the kinds among `names` allow after their lines, most urgent first."""
        return [answer for kind in self.ordered(names) for answer in kind.answers]

    def concern_of(self, names: list[str]) -> str | None:
        """The concern whose places help with these kinds of danger (the first kind that has one)."""
        return next((kind.concern for kind in self.ordered(names) if kind.concern), None)

    def label(self, name: str | None) -> str | None:
        return self.kinds[name].label if name in self.kinds else None

    def helplines(
        self,
        kinds: list[Kind],
        territory: Territory,
        ages: tuple[int, int] | None,
        skip: tuple[str, ...] = (),
    ) -> list[Helpline]:
        """The lines that fit: the first line of each kind, then the second of each, and so on (a minor's
        lines for a youth under 18, an adult's for one of 18 or over); without the ones in `skip` or those
        the youth is too old for; at most `max_cards`."""
        ranked = [self.lines_for_age(k, ages) for k in kinds]
        numbers: list[str] = []
        for rank in range(max((len(lines) for lines in ranked), default=0)):
            for lines in ranked:  # each number once, even when two kinds give it at the same rank
                if rank < len(lines) and lines[rank] not in numbers:
                    numbers.append(lines[rank])
        age_low = ages[0] if ages is not None else None
        by_number = {h.number: h for h in territory.helplines}
        chosen = [
            by_number[n]
            for n in numbers
            if n in by_number
            and n not in skip
            and (age_low is None or age_low <= self.age_limits.get(n, 200))
        ]
        return chosen[: self.max_cards]

    @staticmethod
    def lines_for_age(kind: Kind, ages: tuple[int, int] | None) -> tuple[str, ...]:
        if ages is not None and ages[1] < MAJORITY:
            return kind.minor_lines or kind.lines
        if ages is not None and ages[0] >= MAJORITY:
            return kind.adult_lines or kind.lines
        return kind.lines


def named_in(lines: list[Helpline], folded: str) -> Helpline | None:
    """The line whose number the message names, spaces or not ("le 3114", "0 800 23 13 13")."""
    digits = set(re.findall(r"\d+", folded.replace(" ", "")))
    return next((h for h in lines if re.sub(r"\D", "", h.number) in digits), None)


def load_crisis_rules(path: Path) -> CrisisRules:
    raw = read_yaml(path)
    kinds = {
        str(name): Kind(
            name=str(name),
            label=str(spec["label"]),
            lines=tuple(str(n) for n in spec["lines"]),
            minor_lines=tuple(str(n) for n in spec.get("minor_lines") or ()),
            adult_lines=tuple(str(n) for n in spec.get("adult_lines") or ()),
            emergency=bool(spec.get("emergency", False)),
            now=bool(spec.get("now", False)),
            ask=bool(spec.get("ask", False)),
            need=str(spec["need"]) if spec.get("need") else None,
            concern=str(spec["concern"]) if spec.get("concern") else None,
            answers=tuple(str(a) for a in spec.get("answers") or ()),
        )
        for name, spec in raw["kinds"].items()
    }
    rules = CrisisRules(
        kinds=kinds,
        unnamed=str(raw["unnamed"]),
        confirmed=str(raw["confirmed"]),
        age_limits={str(k): int(v) for k, v in (raw.get("age_limits") or {}).items()},
        max_cards=int(raw["max_cards"]),
    )
    for name in (rules.unnamed, rules.confirmed):
        if name not in kinds:
            raise ValueError(f"{path.name}: {name!r} is not one of the kinds")
    return rules


@dataclass(frozen=True)
class CrisisReply:
    messages: list[Outgoing]
    kind: str  # the most urgent kind, for the urgent question staff will see


class CrisisPath:
    """The replies of the crisis path; the dialogue decides when, and opens the handoffs."""

    def __init__(self, rules: CrisisRules, territory: Territory, texts: Texts) -> None:
        self.rules = rules
        self.territory = territory
        self.t = texts

    def first(self, state: State, names: list[str], about_other: bool, handoff_open: bool) -> CrisisReply:
        """Helplines first, no question before them; then a person, or the direct question."""
        kinds = self.rules.ordered(names)
        if about_other and all(k.ask for k in kinds):
            # a friend's goodbye: the lines for them, never "do YOU think of dying?" to the one who tells
            kinds = self.rules.ordered([self.rules.confirmed])
        direct = [k for k in kinds if not k.ask]
        # an indirect sign after a direct danger whose lines already hold its own (the 3114 after a suicide)
        # adds nothing; after another danger (a harassment, then "si j'étais plus là"), its line and the
        # direct question come now
        indirect_lines = self.rules.helplines(kinds, self.territory, state.ages) if not direct else []
        indirect_shown = not direct and all(line.number in state.crisis_lines for line in indirect_lines)
        if state.crisis_active and (set(state.crisis_kinds) >= {k.name for k in kinds} or indirect_shown):
            # nothing new: no second block, no question already answered by the first message
            return self.reminder(state, kinds[0].name, handoff_open)
        shown = tuple(state.crisis_lines) if state.crisis_active else ()
        state.crisis = state.crisis_active = True
        state.crisis_kinds = list(dict.fromkeys([*state.crisis_kinds, *(k.name for k in kinds)]))
        if not direct:  # only an indirect sign: show 3114, then ask directly
            lines = self.rules.helplines(kinds, self.territory, state.ages)
            self.remember(state, lines)
            state.step = CRISIS_CHECK
            return CrisisReply(
                [
                    Outgoing(self.t("crisis_check_intro"), cards=self.cards(lines)),
                    Outgoing(self.t("crisis_check_question"), buttons=self.check_buttons()),
                ],
                kinds[0].name,
            )
        # an indirect sign with a direct danger ("à la rue, même plus envie d'être là"): its line too, after
        # the first line of each direct kind
        indirect = [k for k in kinds if k.ask]
        lines = self.rules.helplines([*direct, *indirect], self.territory, state.ages, skip=shown)
        firsts = [kind_lines[0] for k in direct if (kind_lines := self.rules.lines_for_age(k, state.ages))]
        if not lines or (shown and all(number in shown for number in firsts)):
            # the new kind's own first line is already above (a runaway minor, then "si jveux pas rentrer
            # chez moi ?": the 119 was shown): a reminder, not a block led by its third line
            return self.reminder(state, direct[0].name, handoff_open)
        self.remember(state, lines)
        state.step = CRISIS
        state.extra[ABOUT_OTHER] = about_other
        # about someone else: the words for the people around, or the kind's own ones (a friend
        # unconscious: "appelle le 15 maintenant pour la personne, et reste avec elle")
        own_words = f"crisis_about_other_{direct[0].name}"
        own_intro = f"crisis_intro_{direct[0].name}"
        if about_other:
            intro = own_words if self.t.has(own_words) else "crisis_about_other"
        elif state.ages is not None and state.ages[1] < MAJORITY and self.t.has(f"{own_intro}_minor"):
            intro = f"{own_intro}_minor"  # a minor with nowhere to sleep: the 119 first
        else:
            intro = own_intro
        text = self.t(intro if self.t.has(intro) else "crisis_intro")
        messages = [Outgoing(text, cards=self.cards(lines))]
        if about_other and intro != own_words:  # "if they are in danger now": the emergency numbers for them
            messages.append(Outgoing(self.t("crisis_now_other")))
        elif any(k.now for k in direct) and not about_other:
            own = (f"crisis_now_{k.name}" for k in direct if self.t.has(f"crisis_now_{k.name}"))
            messages.append(Outgoing(self.t(next(own, "crisis_now"))))
        messages.append(self.person_offer(state, handoff_open))
        return CrisisReply(messages, direct[0].name)

    def confirmed(self, state: State, handoff_open: bool) -> CrisisReply:
        """The youth said yes to the direct question: the suicide path, without asking again."""
        state.crisis_kinds = [k for k in state.crisis_kinds if not self.rules.kinds[k].ask]
        state.crisis_lines = []
        return self.first(state, [self.rules.confirmed], about_other=False, handoff_open=handoff_open)

    def reminder(self, state: State, kind: str, handoff_open: bool) -> CrisisReply:
        """Later messages: a short reminder of the lines already shown and the way to a person; in an
        emergency ("il respire mais il se réveille pas"), its lines again, now, first."""
        state.step = CRISIS
        emergency = self.emergency_again(state)
        if emergency:
            return CrisisReply([*emergency, self.person_offer(state, handoff_open)], kind)
        numbers = ", ".join(state.crisis_lines[:3]) or "3114"
        messages = [Outgoing(self.t("crisis_reminder", numbers=numbers))]
        messages.append(self.person_offer(state, handoff_open))
        return CrisisReply(messages, kind)

    def secret_line(self, state: State, folded: str) -> Outgoing | None:
        """ "le 119 c anonyme ?", "ils previennent mes parents ?": the facts of the line named, else
        of the first line that fits whose facts say it is anonymous or confidential (territory.yml)."""
        lines = self.rules.helplines(self.rules.ordered(state.crisis_kinds), self.territory, state.ages)
        named = named_in(lines, folded)
        line = named or next((h for h in lines if SECRET_FACT.search(h.cost.lower())), None)
        if line is None:
            return None
        key = "crisis_line_secret" if "anonym" in line.cost.lower() else "crisis_line_facts"
        return Outgoing(
            self.t(key, number=line.number, cost=without_notes(line.cost)), cards=self.cards([line])
        )

    def shown(self, state: State) -> list[Helpline]:
        """The lines already shown in this crisis, in the order shown (territory.yml's facts)."""
        by_number = {h.number: h for h in self.territory.helplines}
        return [by_number[n] for n in state.crisis_lines if n in by_number]

    def asked_about(self, state: State, folded: str) -> Helpline | None:
        """The shown line the message names ("le 3018 ..."), else the first shown."""
        shown = self.shown(state)
        return named_in(shown, folded) or (shown[0] if shown else None)

    def line_hours(self, state: State, folded: str) -> Outgoing | None:
        """ "il est ouvert le dimanche ?" about the lines shown: the hours of the line named, else of the
        first shown (territory.yml)."""
        line = self.asked_about(state, folded)
        if line is None:
            return None
        hours = without_notes(line.hours)
        return Outgoing(
            self.t("crisis_line_hours", number=line.number, hours=hours), cards=self.cards([line])
        )

    def closed_line(self, state: State, folded: str, local: datetime) -> Outgoing | None:
        """The line named (else the first shown) when its hours in territory.yml ("7j/7, 9h–23h") say it is
        closed at this local time: the lines open day and night instead."""
        line = self.asked_about(state, folded)
        hours = DAILY_HOURS.search(line.hours) if line else None
        if line is None or hours is None:
            return None
        opens, closes = int(hours.group(1)), int(hours.group(2))
        hour = local.hour
        open_now = opens <= hour < closes if opens < closes else (hour >= opens or hour < closes)
        if open_now:
            return None
        return Outgoing(self.t("crisis_line_closed", number=line.number, hours=without_notes(line.hours)))

    def which_number(self, state: State) -> list[Outgoing]:
        """ "c le 17 ou le 15 ?" during a danger: the lines that fit what was said, the first one named."""
        kinds = self.rules.ordered(state.crisis_kinds)
        about_other = bool(state.extra.get(ABOUT_OTHER))
        if about_other and LIFE_KINDS & {k.name for k in kinds}:
            # a friend who may be dying and cannot be reached: the 15 (or 112) sends someone, first
            kinds = self.rules.ordered([MEDICAL, *state.crisis_kinds])
        lines = self.rules.helplines(kinds, self.territory, state.ages)
        if not lines:
            return []
        which = Outgoing(self.t("crisis_which_number", number=lines[0].number), cards=self.cards(lines))
        if about_other and lines[0].number not in ("15", "112"):  # the 15 or 112 for them, said first
            return [Outgoing(self.t("crisis_now_other")), which]
        return [which]

    def happening_now(self, state: State, police: bool = False) -> Outgoing:
        """ "il vient de rentrer dans sa chambre", "elle va le faire maintenant": the line that sends someone
        now (the 15 for a life at risk, else the 17; the 17 when the police is asked for), its cards, and
        the SMS 114 for who cannot speak."""
        medical = not police and bool(LIFE_KINDS & set(state.crisis_kinds))
        lines = self.rules.helplines(
            self.rules.ordered([MEDICAL if medical else THREAT]), self.territory, None
        )
        key = "crisis_happening_now_medical" if medical else "crisis_happening_now"
        return Outgoing(self.t(key), cards=self.cards(lines))

    def person_offer(self, state: State, handoff_open: bool) -> Outgoing:
        if handoff_open:
            return Outgoing(self.t("crisis_handoff_open"))
        return Outgoing(self.t("crisis_follow_up"), buttons=self.person_buttons())

    def listening(self, state: State, handoff_open: bool) -> list[Outgoing]:
        """While in crisis, a message that asks nothing: no menu, no services; someone to talk to. After an
        emergency (an overdose), its lines again first, and no "later"."""
        first = self.emergency_again(state)
        if handoff_open:
            waiting = self.t("crisis_listening_reply_waiting", number=self.line_now(state))
            return [*first, Outgoing(waiting)]
        buttons = self.person_buttons()[:2] if first else self.person_buttons()
        return [*first, Outgoing(self.t(self.listening_text(state)), buttons=buttons)]

    @staticmethod
    def line_now(state: State) -> str:
        """The line to call if it cannot wait: the first shown for the danger told, else the 3114."""
        return (state.crisis_lines or ["3114"])[0]

    def emergency_again(self, state: State) -> list[Outgoing]:
        """After an emergency (an overdose, a threat): its lines again, with what to do now."""
        emergency = [k for k in self.rules.ordered(state.crisis_kinds) if k.emergency]
        if not emergency:
            return []
        lines = self.rules.helplines(emergency, self.territory, state.ages)
        again = f"crisis_emergency_again_{emergency[0].name}"
        text = self.t(again if self.t.has(again) else "crisis_emergency_again")
        return [Outgoing(text, cards=self.cards(lines))]

    def listening_text(self, state: State) -> str:
        """Not the same words each time: the first listening reply, then a way to call with someone, and
        for suicide or self-harm putting the means away (suicide-prevention guidance), in turn; about a
        friend, first what to do if they cannot be reached."""
        heard = int(state.extra.get("listened", 0))
        state.extra["listened"] = heard + 1
        if state.extra.get(ABOUT_OTHER):  # a friend's danger: reaching them first, then someone to talk to
            keys = ["crisis_listening_reply_other", *LISTENING]
        elif {"suicide", "self_harm"} & set(state.crisis_kinds):
            keys = [LISTENING[0], "crisis_listening_reply_means", LISTENING[1]]
        else:
            keys = list(LISTENING)
        return keys[heard % len(keys)]

    def person_buttons(self) -> tuple[Button, ...]:
        return (
            Button(self.t.button("crisis_listening"), "crisis:listening"),
            Button(self.t.button("crisis_adviser"), "crisis:adviser"),
            Button(self.t.button("crisis_later"), "crisis:later"),
        )

    def check_buttons(self) -> tuple[Button, ...]:
        return (
            Button(self.t.button("crisis_yes"), "crisis:yes"),
            Button(self.t.button("crisis_no"), "crisis:no"),
            Button(self.t.button("crisis_talk"), "crisis:listening"),
        )

    def cards(self, lines: list[Helpline]) -> tuple[Card, ...]:
        return tuple(helpline_card(h, self.t) for h in lines)

    @staticmethod
    def remember(state: State, lines: list[Helpline]) -> None:
        state.crisis_lines = list(dict.fromkeys([*state.crisis_lines, *(h.number for h in lines)]))
