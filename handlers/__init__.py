"""Telegram conversation flows, one module per feature: thin, parse -> call safety -> render."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application

from handlers import (
    accidents,
    buttons,
    card_lessons,
    card_new,
    cards,
    channel,
    checkin,
    errors,
    flow_input,
    guard,
    guided_leave,
    guided_violation,
    guided_violation_input,
    incidents,
    inspect,
    leave,
    menu,
    obligations,
    onboarding,
    onduty,
    pending,
    prohibitions,
    quiz,
    record,
    rectify,
    report_flow,
    status,
    violation,
)
from handlers.buttons import ButtonCallback
from handlers.flow_input import StepCallback
from handlers.menu import CommandCallback

# Feature modules that declare what they handle: COMMANDS (name -> callback), STEPS ((flow, step) ->
# callback) and ROUTES (button action -> callback), each optional. A new feature is one line here.
FEATURES = (
    report_flow,
    rectify,
    accidents,
    incidents,
    inspect,
    cards,
    card_new,
    card_lessons,
    onduty,
    channel,
    pending,
    record,
)


def _collected(attribute: str) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for module in FEATURES:
        declared = getattr(module, attribute, {})
        clash = set(out) & set(declared)
        if clash:
            raise RuntimeError(f"{module.__name__}.{attribute} declares {sorted(map(str, clash))} again")
        out.update(declared)
    return out


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """All handlers in one place. Order matters: the guard runs first (group -1) for every update."""
    app.add_handlers(guard.build_handlers(), group=-1)
    app.add_handlers(onboarding.build_handlers())  # /start before the generic command gate
    commands: dict[str, CommandCallback] = {
        "status": status.status_command,
        "checkin": checkin.checkin_command,
        "leave": leave.leave_command,
        "quiz": quiz.quiz_command,
        "prohibitions": prohibitions.prohibitions_command,
        "violation": violation.violation_command,
        "cancel": flow_input.cancel_command,
        **_collected("COMMANDS"),
    }
    app.add_handlers(menu.build_handlers(commands))
    steps: dict[tuple[str, str], StepCallback] = {
        **checkin.STEPS,
        **violation.STEPS,
        **guided_violation_input.STEPS,
        **guided_leave.STEPS,
        **_collected("STEPS"),
    }
    app.add_handlers(flow_input.build_handlers(steps))  # free text, photos and locations: after the commands
    routes: dict[str, ButtonCallback] = {
        "lang": menu.lang_pressed,
        "st": status.members_pressed,
        "ci": checkin.answer_pressed,
        "cit": checkin.item_toggled,
        "cis": checkin.items_submitted,
        "ob": obligations.obligation_pressed,
        "lv": leave.leave_pressed,
        "qa": quiz.answer_pressed,
        "qt": quiz.toggle_pressed,
        "qs": quiz.submit_pressed,
        "vg": guided_violation.pressed,
        "lg": guided_leave.pressed,
        **_collected("ROUTES"),
    }
    app.add_handler(buttons.build_handler(routes))
    app.add_error_handler(errors.on_error)
