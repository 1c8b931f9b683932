"""The /cards screens as views: my cards with their state (a button opens one where it is still open), and
for leaders each card's acknowledgement rate per unit."""

from __future__ import annotations

from collections.abc import Sequence

from safety.cards import views as card_views
from safety.cards.listing import MyCard, ScopeCard
from safety.views import Action, Join, Line, Text, View

OPEN = "cl"  # arg: "o<recipient id>" shows that card with the button that continues it
CONTINUES = (card_views.UNREAD, card_views.NEEDS_DEPLOY)  # a note left unwritten is no open answer
STATES = {
    card_views.UNREAD: "cards.state_unread",
    card_views.NEEDS_DEPLOY: "cards.state_read",
    card_views.NEEDS_NOTE: "cards.state_deployed",
}


def state_key(card: MyCard) -> str:
    stage = card.stage
    if stage == card_views.DONE:
        return "cards.state_deployed" if card_views.wants_deployed(card.ack) else "cards.state_read"
    return STATES[stage]


def list_view(mine: Sequence[MyCard], scope: Sequence[ScopeCard] | None) -> View:
    lines: list[Line] = []
    rows: list[tuple[Action, ...]] = []
    if mine:
        lines.append(Text("cards.list_title", count=len(mine)))
        for n, card in enumerate(mine, start=1):
            occurrence = card.occurrence
            lines.append(
                Text(
                    "cards.list_row",
                    n=n,
                    title=occurrence.title,
                    date=occurrence.event_date.isoformat(),
                    state=Text(state_key(card)),
                )
            )
            if card.stage in CONTINUES:
                label = Text("cards.open_button", n=n, title=occurrence.title)
                rows.append((Action(label, OPEN, f"o{card.recipient.id}"),))
    else:
        lines.append(Text("cards.list_none"))
    if scope is not None:
        lines += ["", Text("cards.scope_title")]
        if not scope:
            lines.append(Text("cards.scope_none"))
        for item in scope:
            rates = Join(
                tuple(Text("cards.scope_rate", unit=r.unit, done=r.done, total=r.total) for r in item.rates)
            )
            lines.append(
                Text(
                    "cards.scope_card",
                    title=item.occurrence.title,
                    date=item.occurrence.event_date.isoformat(),
                    rates=rates,
                )
            )
            if item.unread:
                lines.append(Text("cards.scope_unread", names=Join(item.unread)))
            if item.not_passed:
                lines.append(Text("cards.scope_not_passed", names=Join(item.not_passed)))
    return View(tuple(lines), tuple(rows))


def parse_open(arg: str) -> int | None:
    tail = arg.removeprefix("o")
    return int(tail) if arg.startswith("o") and tail.isdigit() else None
