"""Reading a cards file (safety.imports.cards_file) into validated card specs, every problem with its line.

What can be checked without the database is checked here: keys, ids, titles, date rules
(safety.cards.dates.check_rule), send times and lead times, roles, ack, items, quiz shape and time zones.
Units and the quiz's prohibitions are checked against the database by the importer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from yaml.nodes import Node

from safety.cards.dates import RuleError, check_rule, send_before
from safety.imports.fields import check_id, check_name, check_roles, check_time, check_timezone, check_visible
from safety.imports.problems import Problem, problem
from safety.imports.yamlnodes import NodeReader, compose, line_of
from safety.textcheck import plain_spaces

TOP_KEYS = ("cards",)
CARD_KEYS = ("id", "title", "date", "send", "audience", "items", "ack", "quiz", "timezone", "active")
REQUIRED = ("id", "title", "date", "audience", "items", "ack")
SEND_KEYS = ("before", "at")
BEFORE_FIELD, AT_FIELD = "send.before", "send.at"  # field names in problems
AUDIENCE_KEYS = ("roles", "units")
QUIZ_KEYS = ("questions", "prohibitions")
ACKS = (("read",), ("read", "deployed"))
ADHOC_PREFIX = "adhoc-"  # ids of cards composed in chat (/card new)
ID_MAX, TITLE_MAX, RULE_MAX = 64, 200, 64
MAX_ITEMS, ITEM_MAX = 30, 300
MAX_QUESTIONS, MAX_PROHIBITION = 50, 999
TRUE, FALSE = ("true", "yes", "on"), ("false", "no", "off")


@dataclass(frozen=True)
class CardSpec:
    id: str
    title: str
    date_rule: str
    send_before: str
    send_at: str
    timezone: str | None
    roles: tuple[str, ...]
    units: tuple[str, ...] | None
    items: tuple[str, ...]
    ack: tuple[str, ...]
    quiz: dict[str, Any] | None
    active: bool
    line: int


@dataclass
class CardsFile:
    """A read cards file: the cards valid on their own, the problems found, and every unit and quiz the
    file names with its line (also those of invalid cards), for the checks against the database."""

    cards: list[CardSpec] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    units: list[tuple[str, int]] = field(default_factory=list)
    quizzes: list[tuple[int, list[tuple[int, int]]]] = field(default_factory=list)  # (line, [(number, line)])


class _Reader(NodeReader):
    def __init__(self) -> None:
        super().__init__()
        self.units: list[tuple[str, int]] = []
        self.quizzes: list[tuple[int, list[tuple[int, int]]]] = []


def read_cards(text: str) -> CardsFile:
    """The cards that are valid on their own, and the problems of the file (sorted by line)."""
    root, problems = compose(text)
    if root is None:
        return CardsFile(problems=problems)
    reader = _Reader()
    top = reader.mapping(root, "file", TOP_KEYS, required=TOP_KEYS)
    if top is None or "cards" not in top:
        return CardsFile(problems=reader.problems)
    items = reader.sequence(top["cards"], "cards")
    if items is not None and not items:
        reader.add(line_of(top["cards"]), "empty_list", field="cards")
    specs: list[CardSpec] = []
    first_line: dict[str, int] = {}
    for item in items or []:
        spec = _card(reader, item)
        if spec is None:
            continue
        if spec.id in first_line:
            reader.add(spec.line, "card_duplicate", id=spec.id, first_line=first_line[spec.id])
            continue
        first_line[spec.id] = spec.line
        specs.append(spec)
    return CardsFile(specs, sorted(reader.problems, key=lambda p: p.line), reader.units, reader.quizzes)


def _card(reader: _Reader, item: Node) -> CardSpec | None:
    keys = reader.mapping(item, "cards", CARD_KEYS, required=REQUIRED)
    if keys is None:
        return None
    before = len(reader.problems)
    card_id = _id(reader, keys["id"]) if "id" in keys else None
    title = reader.text(keys["title"], "title") if "title" in keys else None
    if title is not None:
        title = check_name(title, "title", TITLE_MAX, line_of(keys["title"]), reader.problems)
    rule = _rule(reader, keys["date"]) if "date" in keys else None
    lead, at = _send(reader, keys["send"]) if "send" in keys else ("P0D", "09:00")
    roles, units = _audience(reader, keys["audience"]) if "audience" in keys else (None, None)
    entries = _items(reader, keys["items"]) if "items" in keys else None
    ack = _ack(reader, keys["ack"]) if "ack" in keys else None
    quiz = _quiz(reader, keys["quiz"]) if "quiz" in keys else None
    zone = _timezone(reader, keys["timezone"]) if "timezone" in keys else None
    active = _active(reader, keys["active"]) if "active" in keys else True
    if len(reader.problems) != before or None in (
        card_id,
        title,
        rule,
        lead,
        at,
        roles,
        entries,
        ack,
        active,
    ):
        return None
    assert card_id and title and rule and lead and at and roles and entries and ack and active is not None
    return CardSpec(
        id=card_id,
        title=title,
        date_rule=rule,
        send_before=lead,
        send_at=at,
        timezone=zone,
        roles=roles,
        units=tuple(units) if units is not None else None,
        items=entries,
        ack=ack,
        quiz=quiz,
        active=active,
        line=line_of(item),
    )


def _id(reader: NodeReader, node: Node) -> str | None:
    value = reader.text(node, "id")
    if value is None or check_id(value, "id", ID_MAX, line_of(node), reader.problems) is None:
        return None
    if value.lower().startswith(ADHOC_PREFIX):
        reader.add(line_of(node), "card_reserved_id", id=value)
        return None
    return value


def _rule(reader: NodeReader, node: Node) -> str | None:
    value = reader.text(node, "date", RULE_MAX)
    if value is None or check_visible(value, "date", line_of(node), reader.problems) is None:
        return None
    try:
        check_rule(value)
    except RuleError as exc:
        reader.problems.append(problem(line_of(node), exc.code, **exc.params))
        return None
    return value


def _send(reader: NodeReader, node: Node) -> tuple[str | None, str | None]:
    keys = reader.mapping(node, "send", SEND_KEYS)
    if keys is None:
        return None, None
    lead: str | None = "P0D"
    if "before" in keys:
        lead = reader.text(keys["before"], BEFORE_FIELD)
        if lead is not None:
            try:
                send_before(lead)
            except RuleError as exc:
                reader.problems.append(problem(line_of(keys["before"]), exc.code, **exc.params))
                lead = None
    at: str | None = "09:00"
    if "at" in keys:
        at = reader.text(keys["at"], AT_FIELD)
        if at is not None:
            at = check_time(at, AT_FIELD, line_of(keys["at"]), reader.problems)
    return lead, at


def _audience(reader: _Reader, node: Node) -> tuple[tuple[str, ...] | None, list[str] | None]:
    keys = reader.mapping(node, "audience", AUDIENCE_KEYS, required=("roles",))
    if keys is None or "roles" not in keys:
        return None, None
    found = reader.texts(keys["roles"], "audience.roles")
    roles = check_roles(found, line_of(keys["roles"]), reader.problems) if found is not None else None
    units = reader.texts(keys["units"], "audience.units") if "units" in keys else None
    if units is not None and not units:
        reader.add(line_of(keys["units"]), "empty_list", field="audience.units")
    reader.units.extend(units or ())
    return roles, list(dict.fromkeys(u for u, _ in units)) if units is not None else None


def _items(reader: NodeReader, node: Node) -> tuple[str, ...] | None:
    found = reader.texts(node, "items")
    if found is None:
        return None
    before = len(reader.problems)
    if not found:
        reader.add(line_of(node), "empty_list", field="items")
    elif len(found) > MAX_ITEMS:
        reader.add(line_of(node), "card_too_many_items", count=len(found), max=MAX_ITEMS)
    seen: dict[str, int] = {}
    for raw, line in found:
        text = plain_spaces(raw).strip()
        if check_visible(text, "items", line, reader.problems) is None:
            continue
        if len(text) > ITEM_MAX:
            reader.add(line, "too_long", field="items", max=ITEM_MAX)
        elif text in seen:
            reader.add(line, "card_duplicate_item", item=text[:40], first_line=seen[text])
        else:
            seen[text] = line
    return tuple(seen) if len(reader.problems) == before else None


def _ack(reader: NodeReader, node: Node) -> tuple[str, ...] | None:
    found = reader.texts(node, "ack")
    if found is None:
        return None
    values = tuple(value for value, _ in found)
    if values not in ACKS:
        reader.add(line_of(node), "card_bad_ack", value=", ".join(values))
        return None
    return values


def _quiz(reader: _Reader, node: Node) -> dict[str, Any] | None:
    keys = reader.mapping(node, "quiz", QUIZ_KEYS, required=("questions",))
    reader.quizzes.append((line_of(node), []))
    if keys is None or "questions" not in keys:
        return None
    questions = _number(reader, keys["questions"], "quiz.questions", MAX_QUESTIONS)
    prohibitions: list[tuple[int, int]] = []
    found = reader.texts(keys["prohibitions"], "quiz.prohibitions") if "prohibitions" in keys else []
    for value, line in found or []:
        number = _number_text(reader, value, line, "quiz.prohibitions", MAX_PROHIBITION)
        if number is not None and number not in (n for n, _ in prohibitions):
            prohibitions.append((number, line))
    reader.quizzes[-1][1].extend(prohibitions)
    if questions is None:
        return None
    quiz: dict[str, Any] = {"questions": questions}
    if prohibitions:
        quiz["prohibitions"] = sorted(n for n, _ in prohibitions)
    return quiz


def _number(reader: NodeReader, node: Node, field: str, maximum: int) -> int | None:
    value = reader.text(node, field)
    return _number_text(reader, value, line_of(node), field, maximum) if value is not None else None


def _number_text(reader: NodeReader, value: str, line: int, field: str, maximum: int) -> int | None:
    if value.isascii() and value.isdigit() and 1 <= int(value) <= maximum:
        return int(value)
    reader.add(line, "bad_number", field=field, value=value, max=maximum)
    return None


def _timezone(reader: NodeReader, node: Node) -> str | None:
    value = reader.text(node, "timezone")
    return check_timezone(value, line_of(node), reader.problems) if value is not None else None


def _active(reader: NodeReader, node: Node) -> bool | None:
    value = reader.text(node, "active")
    if value is None:
        return None
    if value.lower() in TRUE + FALSE:
        return value.lower() in TRUE
    reader.add(line_of(node), "card_bad_active", value=value)
    return None
