"""The card_ack kind: a reminder card (安全生产提示卡) each recipient must acknowledge (已阅, 已部署落实).

One obligation per recipient of an occurrence (ref "card:<occurrence id>", subject the recipient, due when
the card is sent). The card message itself is the policy's first `self` step; the later `self` step sends
the card again with the button that continues the answer; a leader's step digest names who has not
acknowledged yet ("已确认 N/M"), and is edited as they answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.cards import lessons
from safety.cards import views as card_views
from safety.config import Defaults
from safety.kinds.base import EXCUSE, REMIND, Picture
from safety.views import Line, Text, View
from storage import card_queries as cq
from storage.escalation_queries import DutyRow
from storage.models import Card, CardOccurrence, CardRecipient

DEFAULT_POLICY = (
    {"after": "PT0M", "to": "self"},
    {"after": "PT4H", "to": "self"},
    {"after": "P1D", "to": "manager"},
)
PREFIX = "card:"


def occurrence_id_of(ref: str) -> int | None:
    tail = ref.removeprefix(PREFIX)
    return int(tail) if ref.startswith(PREFIX) and tail.isdigit() else None


@dataclass
class CardExtra:
    """An occurrence's own part of its picture: the occurrence, its card, and each recipient's answer."""

    occurrence: CardOccurrence
    card: Card | None
    recipients: dict[int, CardRecipient] = field(default_factory=dict)  # by person


class CardAckKind:
    name = "card_ack"
    default_policy = DEFAULT_POLICY
    actions = (REMIND, EXCUSE)
    shared_reminder = False  # each recipient's button carries their own row
    lists_subjects = True  # the digest names who has not acknowledged

    async def load_extra(
        self, session: AsyncSession, refs: Sequence[str], defaults: Defaults
    ) -> dict[str, Any]:
        ids = sorted({i for ref in refs if (i := occurrence_id_of(ref)) is not None})
        occurrences = await cq.occurrences_by_ids(session, ids=ids)
        cards = await cq.cards_by_ids(session, ids=[o.card_id for o in occurrences])
        extras = {o.id: CardExtra(o, cards.get(o.card_id)) for o in occurrences if o.id is not None}
        for recipient in await cq.recipients_of_occurrences(session, occurrence_ids=extras):
            extras[recipient.occurrence_id].recipients[recipient.person_id] = recipient
        return {f"{PREFIX}{i}": extra for i, extra in extras.items()}

    def digest_lines(self, picture: Picture, unit_id: str) -> tuple[Line, list[Line]]:
        extra: CardExtra | None = picture.extra
        if extra is None:
            return Text("cards.gone"), []
        counted = [d for d in picture.of_unit(unit_id) if d.state != "excused"]
        done = [d for d in counted if d.state in {"done", "acknowledged"}]
        title = Text(
            "cards.digest_title",
            title=extra.occurrence.title,
            date=extra.occurrence.event_date.isoformat(),
            unit=picture.unit_name(unit_id),
            done=len(done),
            total=len(counted),
        )
        return title, []

    def reminder(self, picture: Picture, duty: DutyRow, *, nudged_by: str | None = None) -> View | None:
        extra: CardExtra | None = picture.extra
        recipient = extra.recipients.get(duty.subject_id) if extra else None
        if extra is None or recipient is None:
            return None
        head = Text("cards.nudge", by=nudged_by) if nudged_by else Text("cards.reminder")
        ack = extra.card.ack if extra.card else ["read"]
        view = card_views.card_view(extra.occurrence, recipient, ack, head=head)
        return lessons.with_offer(view, recipient, extra.card)

    def alert(self, topic: str, picture: Picture, unit_id: str, listed: Sequence[int]) -> View | None:
        return None


KIND = CardAckKind()
