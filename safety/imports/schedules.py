"""A unit's `checkin` block and `group_chat` in the organisation file (format: DESIGN.md, README).

`checkin: {days, opens, due}` with optional `items` (the unit's own checklist, at most 12 items of at most
60 characters, else the defaults) and `require_location` (true/false). `days`: workdays, everyday or a list
of weekdays; `opens` must be before `due`. `group_chat`: a chat id such as -1001234567890, the target of
escalation steps `to: group`.
"""

from __future__ import annotations

from typing import Any

from yaml.nodes import Node, ScalarNode

from safety.imports.fields import check_days, check_time, check_visible
from safety.imports.yamlnodes import NodeReader, line_of

CHECKIN_KEYS = ("days", "opens", "due")
CHECKIN_OPTIONAL = ("items", "require_location")
MAX_ITEMS = 12
ITEM_MAX_LEN = 60


def parse_checkin(reader: NodeReader, node: Node) -> dict[str, Any] | None:
    keys = reader.mapping(node, "checkin", CHECKIN_KEYS + CHECKIN_OPTIONAL, required=CHECKIN_KEYS)
    if keys is None or any(k not in keys for k in CHECKIN_KEYS):
        return None
    extra = _checkin_options(reader, keys)
    days_node = keys["days"]
    days_items = reader.texts(days_node, "days")
    days = None
    if days_items is not None:
        raw: str | list[str] = [d.lower() for d, _ in days_items]
        if isinstance(days_node, ScalarNode):
            raw = raw[0] if raw else ""
        days = check_days(raw, line_of(days_node), reader.problems)
    times = {}
    for field in ("opens", "due"):
        text = reader.text(keys[field], field)
        if text is not None:
            times[field] = check_time(text, field, line_of(keys[field]), reader.problems)
    opens, due = times.get("opens"), times.get("due")
    if opens and due and opens >= due:
        reader.add(line_of(keys["opens"]), "opens_not_before_due", opens=opens, due=due)
        return None
    if days is None or not opens or not due or extra is None:
        return None
    return {"days": days, "opens": opens, "due": due, **extra}


def parse_group_chat(reader: NodeReader, node: Node) -> str | None:
    """The unit's group chat id (a negative number on Telegram): an escalation target (`to: group`)."""
    value = reader.text(node, "group_chat")
    if value is not None and not (value.lstrip("-").isdigit() and len(value) <= 20):
        reader.add(
            line_of(node), "wrong_type", field="group_chat", expected="a chat id such as -1001234567890"
        )
        return None
    return value


def _checkin_options(reader: NodeReader, keys: dict[str, Node]) -> dict[str, Any] | None:
    """Optional `items` (the unit's own checklist, else the defaults) and `require_location` (true/false)."""
    extra: dict[str, Any] = {}
    before = len(reader.problems)
    if "items" in keys:
        items = reader.texts(keys["items"], "items")
        if items is not None:
            if not items:
                reader.add(line_of(keys["items"]), "empty_list", field="items")
            elif len(items) > MAX_ITEMS:
                reader.add(line_of(keys["items"]), "too_long", field="items", max=MAX_ITEMS)
            for text, line in items:
                if len(text) > ITEM_MAX_LEN:
                    reader.add(line, "too_long", field="items", max=ITEM_MAX_LEN)
                check_visible(text, "items", line, reader.problems, free_text=True)
            extra["items"] = [text for text, _ in items]
    if "require_location" in keys:
        flag = reader.text(keys["require_location"], "require_location")
        if flag is not None and flag.lower() not in {"true", "false", "yes", "no"}:
            reader.add(
                line_of(keys["require_location"]),
                "wrong_type",
                field="require_location",
                expected="true or false",
            )
        elif flag is not None and flag.lower() in {"true", "yes"}:
            extra["require_location"] = True
    return extra if len(reader.problems) == before else None
