"""Recording a violation and the answer to the recorder, shared by `/violation EMPLOYEE_NO N NOTE` and the
guided `/violation`, so that both reach the same rows, notices and audit entries and answer alike."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.context import BotContext
from safety import flows, violations
from safety.violations import Recorded, ViolationOutcome

PHOTO_FLOW = "violation_photo"


async def record(
    session: AsyncSession,
    context: BotContext,
    *,
    employee_no: str,
    prohibition: int,
    note: str,
    photo_file_id: str | None = None,
) -> ViolationOutcome:
    """Record it; without a photo yet, the recorder's next photo becomes its evidence (flow PHOTO_FLOW)."""
    assert context.actor is not None
    outcome = await violations.record(
        session,
        actor=context.actor,
        employee_no=employee_no,
        prohibition=prohibition,
        note=note,
        now=context.now,
        rules=context.runtime.quiz_rules,
        channel=context.channel,
        photo_file_id=photo_file_id,
    )
    if outcome.violation is not None and photo_file_id is None:
        await flows.start(
            session,
            person_id=context.actor.person_id,
            name=PHOTO_FLOW,
            step="photo",
            now=context.now,
            violation=outcome.violation.id,
        )
    return outcome


def outcome_text(context: BotContext, outcome: ViolationOutcome, number: int, *, photo: bool = False) -> str:
    """What the recorder is told; with the photo attached already, the invitation to send one is left out."""
    if outcome.status in {Recorded.FIRST, Recorded.REPEAT}:
        assert outcome.person is not None
        key = "violation.recorded_first" if outcome.status is Recorded.FIRST else "violation.recorded_repeat"
        return context.text(
            f"{key}_photo" if photo else key, name=outcome.person.name, number=number, count=outcome.history
        )
    return context.text(f"violation.{outcome.status.value}")
