"""`sixtcap chat`: talk to the brain from a terminal, or from a script.

In a terminal, bubbles are printed as text, buttons numbered: typing the number presses the button.
When stdin is not a terminal, each line is one message (a line `#N` presses button N of the last reply)
and each bubble is printed as one JSON object per line."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TextIO

from bot.brain import Brain
from bot.messages import Button, Incoming, Outgoing

CHANNEL = "cli"


def press(line: str, buttons: list[Button]) -> Incoming | None:
    """The button a line presses ('#2' in scripts, '2' in a terminal), if any."""
    number = line.strip().removeprefix("#")
    if number.isdigit() and 1 <= int(number) <= len(buttons):
        button = buttons[int(number) - 1]
        if button.payload:
            return Incoming(CHANNEL, "", payload=button.payload)
    return None


def pressable(replies: Iterable[Outgoing]) -> list[Button]:
    return [button for reply in replies for button in reply.buttons if button.payload]


def incoming_for(line: str, user: str, buttons: list[Button], scripted: bool) -> Incoming:
    pressed = press(line, buttons) if (line.strip().startswith("#") or not scripted) else None
    if pressed:
        return Incoming(CHANNEL, user, payload=pressed.payload)
    return Incoming(CHANNEL, user, text=line)


def run_script(brain: Brain, user: str, lines: Iterable[str], out: TextIO) -> None:
    buttons: list[Button] = []
    for raw in lines:
        line = raw.rstrip("\r\n")
        replies = brain.handle(incoming_for(line, user, buttons, scripted=True)).messages
        for reply in replies:
            out.write(json.dumps(reply.as_dict(), ensure_ascii=False) + "\n")
        out.flush()
        buttons = pressable(replies) or buttons


def render(replies: list[Outgoing]) -> str:
    """Bubbles as a person reads them in a terminal, buttons numbered across the reply."""
    lines: list[str] = []
    number = 0
    for reply in replies:
        if reply.text:
            lines.append(f"🤖 {reply.text}")
        for card in reply.cards:
            lines.append(f"   ┌ {card.title}")
            if card.subtitle:
                lines.append(f"   │ {card.subtitle}")
            lines += [f"   │ {detail}" for detail in card.details]
            lines += [f"   │ → {a.title}: {a.url}" for a in card.actions if a.url]
            lines.append("   └")
        for button in reply.buttons:
            if button.payload:
                number += 1
                lines.append(f"   [{number}] {button.title}")
    return "\n".join(lines)


def run_terminal(brain: Brain, user: str) -> None:
    print("sixtcap — écris ton message (Ctrl-D pour quitter). Tape un numéro pour appuyer sur un bouton.")
    buttons: list[Button] = []
    while True:
        try:
            line = input("> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return
        replies = brain.handle(incoming_for(line, user, buttons, scripted=False)).messages
        print(render(replies))
        buttons = pressable(replies) or buttons
