"""The messages of `/card new`: the audience (role and unit toggles, `全部`, `下一步`), the title and items
prompts, and the summary with the audience count, `附加测验？` (when staff are in the audience), `发送` and
`取消` — each with buttons bound to the flow's version (handlers/pickers.py)."""

from __future__ import annotations

from collections.abc import Sequence

from handlers import pickers
from handlers.context import BotContext
from handlers.pickers import Row, Screen
from handlers.render import inline
from safety.cards.adhoc import AUDIENCE_ROLES, ITEM_LIMIT, ITEMS_LIMIT, TITLE_LIMIT
from safety.flows import Flow
from safety.roles import Role

FLOW, ACTION = "card_new", "cw"
SUMMARY_LIMIT = 4000  # a Telegram message holds 4096 characters


def _names(context: BotContext, names: Sequence[str]) -> str:
    return context.text("roles.separator").join(names) if names else context.text("card_new.none_chosen")


def role_list(context: BotContext, roles: Sequence[str]) -> str:
    return _names(context, [context.text(f"roles.{r}") for r in AUDIENCE_ROLES if r in roles])


def unit_list(context: BotContext, flow: Flow) -> str:
    names: dict[str, str] = dict(flow.get("names", {}))
    return _names(context, [names.get(u, u) for u in flow.get("choices", []) if u in flow.get("units", [])])


def audience(context: BotContext, flow: Flow, count: int) -> Screen:
    roles: list[str] = flow.get("roles", [])
    units: list[str] = flow.get("units", [])
    choices: list[str] = flow.get("choices", [])
    names: dict[str, str] = dict(flow.get("names", {}))
    role_buttons = [
        pickers.button(
            context,
            ACTION,
            flow,
            context.text(
                "card_new.role_on" if role in roles else "card_new.role_off",
                role=context.text(f"roles.{role}"),
            ),
            "r",
            index,
        )
        for index, role in enumerate(AUDIENCE_ROLES)
    ]
    unit_buttons = [
        pickers.button(
            context,
            ACTION,
            flow,
            context.text(
                "card_new.unit_on" if unit in units else "card_new.unit_off", unit=names.get(unit, unit)
            ),
            "u",
            index,
        )
        for index, unit in enumerate(choices)
    ]
    all_on = bool(choices) and set(choices) <= set(units)
    rows: list[Row] = [role_buttons[:2], role_buttons[2:]]
    rows += [unit_buttons[i : i + 2] for i in range(0, len(unit_buttons), 2)]
    rows.append(
        [
            pickers.button(
                context,
                ACTION,
                flow,
                context.text(
                    "card_new.unit_on" if all_on else "card_new.unit_off",
                    unit=context.text("card_new.all_units"),
                ),
                "a",
            )
        ]
    )
    rows.append(
        [
            pickers.button(context, ACTION, flow, context.text("card_new.next"), "n"),
            *pickers.cancel_row(context, ACTION, flow),
        ]
    )
    text = context.text(
        "card_new.audience", roles=role_list(context, roles), units=unit_list(context, flow), count=count
    )
    return text, inline(rows)


def ask_title(context: BotContext, flow: Flow) -> Screen:
    return context.text("card_new.ask_title", limit=TITLE_LIMIT), inline(
        [pickers.cancel_row(context, ACTION, flow)]
    )


def ask_items(context: BotContext, flow: Flow) -> Screen:
    text = context.text("card_new.ask_items", title=flow.get("title"), count=ITEMS_LIMIT, limit=ITEM_LIMIT)
    return text, inline([pickers.cancel_row(context, ACTION, flow)])


def summary(context: BotContext, flow: Flow, count: int) -> Screen:
    items: list[str] = flow.get("items", [])
    lines = [
        context.text(
            "card_new.summary",
            title=flow.get("title"),
            items="\n".join(
                context.text("card_new.summary_item", number=n, item=item) for n, item in enumerate(items, 1)
            ),
            roles=role_list(context, flow.get("roles", [])),
            units=unit_list(context, flow),
            count=count,
        )
    ]
    rows: list[Row] = []
    if Role.STAFF in flow.get("roles", []):
        quiz = bool(flow.get("quiz"))
        if quiz:
            lines.append(context.text("card_new.summary_quiz", count=flow.get("quiz_count", 0)))
        label = context.text("card_new.quiz_on" if quiz else "card_new.quiz_off")
        rows.append([pickers.button(context, ACTION, flow, label, "q")])
    rows.append(
        [
            pickers.button(context, ACTION, flow, context.text("card_new.send"), "ok"),
            *pickers.cancel_row(context, ACTION, flow),
        ]
    )
    text = "\n".join(lines)
    if len(text) > SUMMARY_LIMIT:
        text = text[: SUMMARY_LIMIT - 1] + "…"
    return text, inline(rows)
