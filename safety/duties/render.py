"""A duty's record as short texts in one language: the frequency, a period's label, the evidence and what
is missing. The export's sheet and /record show the same words."""

from __future__ import annotations

from safety.duties.evidence import Evidence
from safety.duties.frequency import Period
from safety.duties.record import IN_PROGRESS, MISSING, OUTSIDE, DutyStatus
from safety.texts import t
from storage.models import DutyItem

EVIDENCE_MAX = 300  # characters of the evidence cell; the rest is counted
SEPARATOR_KEY = "duties.separator"


def frequency_text(item: DutyItem, language: str) -> str:
    return t(language, f"duties.every.{item.every}", times=item.times)


def role_text(role: str | None, language: str) -> str:
    return t(language, f"roles.{role}") if role else t(language, "duties.personal")


def period_label(period: Period, language: str) -> str:
    return t(language, f"duties.period.{period.every}", **period.label_params())


def evidence_item(item: Evidence, language: str) -> str:
    params = {k: (t(language, v) if k in item.keyed else v) for k, v in item.params.items()}
    return t(language, item.key, day=item.day.strftime("%m-%d"), **params)


def evidence_text(status: DutyStatus, language: str, limit: int = EVIDENCE_MAX) -> str:
    """The evidence in date order, joined; capped at `limit` characters with the count of the others."""
    separator = t(language, SEPARATOR_KEY)
    shown: list[str] = []
    used = 0
    for n, item in enumerate(status.evidence):
        text = evidence_item(item, language)
        if used + len(text) > limit and shown:
            shown.append(t(language, "duties.more", count=len(status.evidence) - n))
            break
        shown.append(text)
        used += len(text) + len(separator)
    return separator.join(shown)


def missing_text(status: DutyStatus, language: str) -> str:
    """The missing periods (and those still in progress), or that the duty is kept outside the bot."""
    separator = t(language, SEPARATOR_KEY)
    parts: list[str] = []
    for found in status.periods:
        label = period_label(found.period, language)
        if found.state == OUTSIDE:
            return t(language, "duties.outside")
        if found.state == MISSING:
            key = "duties.missing_none" if found.count == 0 else "duties.missing_short"
            parts.append(t(language, key, period=label, count=found.count, times=found.needed))
        elif found.state == IN_PROGRESS:
            parts.append(
                t(language, "duties.in_progress", period=label, count=found.count, times=found.needed)
            )
    return separator.join(parts)
