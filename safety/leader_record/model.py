"""What a leader's own duty record (履职记录) holds for one month: per group what they answered, how
fast, how many answers came late and how many never came.

Groups, and when the clock of each starts and stops:
- cards: a reminder card sent → read (已阅); deployed (已部署落实) counted beside it;
- accidents: a serious report made → acknowledged (已确认, for everyone) or reported to the authorities
  (已上报);
- shifts: a duty shift starts → 到岗;
- digests: the escalation digest that listed a duty reached them → 提醒 / 请假 / 已处理;
- leave: asked → approved or refused;
- assign: a report made → its first assignment (指派) by them;
- verify: a rectification submitted → accepted (通过) or sent back (驳回) by them.

An answer is late when it took longer than the group's `ANSWER_WITHIN` (each the first reminder or the
next escalation step of the default policies, or the rule itself: 已上报 within one hour). Unanswered are
the items of the month that reached them and were never answered: cards not read, shifts not confirmed,
已上报 still due, duties waiting on their step (one they pressed 提醒 on is answered), reports waiting
for an assignment or a verification in their scope. Leave has no "unanswered" (the request goes to
whoever leads the team when it is decided).

Only the person's own actions count: a press by someone else, even on the same digest, is theirs.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from safety.export.period import Month

CARDS, ACCIDENTS, SHIFTS, DIGESTS = "cards", "accidents", "shifts", "digests"
LEAVE, ASSIGN, VERIFY = "leave", "assign", "verify"
GROUPS = (CARDS, ACCIDENTS, SHIFTS, DIGESTS, LEAVE, ASSIGN, VERIFY)

# What each answer is called in a group's breakdown (a catalog word record.what.<name>).
PARTS: dict[str, tuple[str, ...]] = {
    CARDS: ("read", "deployed", "on_time"),
    ACCIDENTS: ("acknowledged", "reported"),
    SHIFTS: ("confirmed",),
    DIGESTS: ("remind", "excuse", "handled"),
    LEAVE: ("approved", "rejected"),
    ASSIGN: ("assigned",),
    VERIFY: ("accepted", "rejected"),
}

ANSWER_WITHIN: dict[str, timedelta] = {
    CARDS: timedelta(hours=4),  # card_ack: the second reminder at PT4H
    ACCIDENTS: timedelta(minutes=10),  # accident_ack: the manager is told at PT10M
    SHIFTS: timedelta(minutes=15),  # duty_shift: the reminder at PT15M
    DIGESTS: timedelta(minutes=30),  # checkin: team leader at PT15M, safety officer at PT45M
    LEAVE: timedelta(days=1),
    ASSIGN: timedelta(days=1),
    VERIFY: timedelta(days=1),  # rectification: the safety officer is told at P1D
}
AUTHORITY_WITHIN = timedelta(hours=1)  # 已上报: 国务院令第493号
RECENT = 5


def as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Item:
    """One answer: which group, what it was (a part of PARTS), about what (a number, a title, a name),
    when it reached them and when they answered."""

    group: str
    part: str
    about: str
    started: datetime
    answered: datetime
    within: timedelta

    @property
    def minutes(self) -> int:
        return max(0, round((self.answered - self.started).total_seconds() / 60))

    @property
    def late(self) -> bool:
        return self.answered - self.started > self.within


@dataclass
class Group:
    name: str
    parts: dict[str, int] = field(default_factory=dict)
    minutes: list[int] = field(default_factory=list)
    late: int = 0
    unanswered: int = 0

    @property
    def answered(self) -> int:
        return len(self.minutes)

    @property
    def median(self) -> int | None:
        return round(statistics.median(self.minutes)) if self.minutes else None

    @property
    def slowest(self) -> int | None:
        return max(self.minutes) if self.minutes else None

    @property
    def empty(self) -> bool:
        return not self.minutes and not self.unanswered and not any(self.parts.values())


@dataclass
class LeaderRecord:
    person_id: int
    name: str
    month: Month
    zone: ZoneInfo
    groups: dict[str, Group]
    recent: list[Item]  # the latest answers first

    @property
    def empty(self) -> bool:
        return all(g.empty for g in self.groups.values())

    @property
    def unanswered(self) -> int:
        return sum(g.unanswered for g in self.groups.values())

    def local(self, moment: datetime) -> datetime:
        return as_utc(moment).astimezone(self.zone)


def window(month: Month, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The month's first and following-month's first moments in `zone`, as UTC."""
    first = datetime.combine(month.first, datetime.min.time(), zone)
    after = datetime.combine(month.last + timedelta(days=1), datetime.min.time(), zone)
    return first.astimezone(UTC), after.astimezone(UTC)


def tally(
    person_id: int,
    name: str,
    month: Month,
    zone: ZoneInfo,
    items: list[Item],
    extra_parts: dict[tuple[str, str], int],
    unanswered: dict[str, int],
) -> LeaderRecord:
    """Items into groups. `extra_parts` are counted parts that are not answers of their own (a card
    deployed after it was read, read on time)."""
    groups = {name: Group(name, dict.fromkeys(PARTS[name], 0)) for name in GROUPS}
    for item in items:
        group = groups[item.group]
        group.parts[item.part] = group.parts.get(item.part, 0) + 1
        group.minutes.append(item.minutes)
        group.late += item.late
    for (group_name, part), count in extra_parts.items():
        groups[group_name].parts[part] = groups[group_name].parts.get(part, 0) + count
    for group_name, count in unanswered.items():
        groups[group_name].unanswered += count
    recent = sorted(items, key=lambda i: i.answered, reverse=True)[:RECENT]
    return LeaderRecord(person_id, name, month, zone, groups, recent)
