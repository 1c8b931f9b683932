"""How a card reads to its recipient: the title, the event date, the items as a numbered list, and the one
button that continues where the recipient's answer stands (已阅, then 已部署落实, then the note's 跳过).

A button carries "<recipient id>.<version>.<revision>": the version makes every answer a compare-and-set
(a double tap changes the row once), the revision tells a press on an older version of a revised card.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from safety.views import Action, Line, Text, View
from storage.models import CardOccurrence, CardRecipient

READ, DEPLOYED, NOTE = "cr", "cd", "cn"
UNREAD, NEEDS_DEPLOY, NEEDS_NOTE, DONE = "unread", "read", "deployed", "done"


@dataclass(frozen=True)
class ButtonArg:
    recipient_id: int
    version: int
    revision: int | None  # None: a two-part argument (no revision carried)


def arg_of(recipient: CardRecipient) -> str:
    return f"{recipient.id}.{recipient.version}.{recipient.revision}"


def parse_arg(arg: str) -> ButtonArg | None:
    parts = arg.split(".")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
        return None
    revision = int(parts[2]) if len(parts) == 3 else None
    return ButtonArg(int(parts[0]), int(parts[1]), revision)


def wants_deployed(ack: list[str] | None) -> bool:
    return "deployed" in (ack or [])


def stage(recipient: CardRecipient, ack: list[str] | None, *, noted: bool = False) -> str:
    """Where the recipient's answer stands: unread, read (waits for 已部署落实), deployed (may add a note),
    done. `noted`: the note step is over (a note, or 跳过)."""
    if recipient.read_at is None:
        return UNREAD
    if not wants_deployed(ack):
        return DONE
    if recipient.deployed_at is None:
        return NEEDS_DEPLOY
    return DONE if noted or recipient.note is not None else NEEDS_NOTE


def card_lines(occurrence: CardOccurrence, *, revised: bool = False) -> list[Line]:
    lines: list[Line] = []
    if revised:
        lines.append(Text("cards.revised_head", revision=occurrence.revision))
    lines.append(Text("cards.title", title=occurrence.title))
    lines.append(Text("cards.event_date", date=_date(occurrence.event_date)))
    lines += [Text("cards.item", n=i, item=item) for i, item in enumerate(occurrence.items, start=1)]
    return lines


def card_view(
    occurrence: CardOccurrence,
    recipient: CardRecipient,
    ack: list[str] | None,
    *,
    revised: bool = False,
    noted: bool = False,
    head: Line | None = None,
) -> View:
    """The card as its recipient sees it now, with the button that continues their answer."""
    lines = card_lines(occurrence, revised=revised)
    if head is not None:
        lines.insert(0, head)
    now_stage = stage(recipient, ack, noted=noted)
    arg = arg_of(recipient)
    if now_stage == UNREAD:
        return View(tuple(lines), ((Action(Text("cards.read"), READ, arg),),))
    lines.append(Text("cards.read_done"))
    if now_stage == NEEDS_DEPLOY:
        return View(tuple(lines), ((Action(Text("cards.deployed"), DEPLOYED, arg),),))
    if wants_deployed(ack):
        lines.append(Text("cards.deployed_done"))
    if now_stage == NEEDS_NOTE:
        lines.append(Text("cards.note_ask"))
        return View(tuple(lines), ((Action(Text("cards.skip"), NOTE, arg),),))
    if recipient.note:
        lines.append(Text("cards.note_line", note=recipient.note))
    lines.append(Text("cards.complete"))
    return View(tuple(lines))


def _date(day: date) -> str:
    return day.isoformat()
