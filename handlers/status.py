"""/status for leaders, over every duty kind in their units: today's check-in rounds and inspections, open
reports by kind and state with overdue rectifications, reminder cards not yet acknowledged, today's duty
shifts, quiz clearance, and the roster's binding picture with a member list per unit. One message: the
parts cap their lists (safety/status_picture.py) and the whole is cut to Telegram's limit."""

from __future__ import annotations

from datetime import date

from telegram import Update
from telegram.constants import MessageLimit

from handlers.context import BotContext
from handlers.render import button_data, inline, role_names
from safety import duty_status, quiz_stats, roster_status, status_picture
from safety.access import may_run
from safety.inspections import inspections
from safety.views import render_line, render_text

MAX_UNIT_BUTTONS = 30
ELLIPSIS = "…"


async def status_command(update: Update, context: BotContext) -> None:
    """Units in scope with roster and bound counts; a button per unit opens its member list."""
    assert update.effective_message is not None and context.actor is not None
    async with context.runtime.reading() as session:
        rows = await roster_status.binding_overview(session, actor=context.actor)
        rounds = await duty_status.todays_rounds(
            session, actor=context.actor, now=context.now, defaults=context.defaults
        )
        quiz = await quiz_stats.quiz_picture(session, actor=context.actor)
        today = await duty_status.today_of(
            session, actor=context.actor, now=context.now, defaults=context.defaults
        )
        units = await roster_status.scope_units(session, actor=context.actor)
        inspected = await inspections.todays_counts(
            session, actor=context.actor, units=units, now=context.now, defaults=context.defaults
        )
        kinds = [
            *await status_picture.report_lines(
                session, units=units, now=context.now, defaults=context.defaults
            ),
            *await status_picture.card_lines(session, units=units),
            *await status_picture.shift_lines(
                session,
                units=units,
                day=date.fromisoformat(today),
                now=context.now,
                defaults=context.defaults,
            ),
        ]
    if not rows:
        await update.effective_message.reply_text(context.text("status.none"))
        return
    lines = [context.text("status.round_title", date=today)]
    lines += _round_lines(context, rounds) if rounds else [context.text("status.no_rounds")]
    lines.append(
        context.text("inspect.status_line", inspections=inspected.inspections, hazards=inspected.hazards)
    )
    lines += ["", *(render_line(line, context.language) for line in kinds)]
    lines += ["", *_quiz_lines(context, quiz), "", context.text("status.title", date=today)]
    lines += [context.text("status.unit_line", name=r.name, total=r.total, bound=r.bound) for r in rows]
    buttons = [
        [(context.text("status.show_members", unit=r.name), button_data(context, action="st", arg=r.unit_id))]
        for r in rows[:MAX_UNIT_BUTTONS]
    ]
    await update.effective_message.reply_text(_within_limit("\n".join(lines)), reply_markup=inline(buttons))


def _within_limit(text: str) -> str:
    limit = MessageLimit.MAX_TEXT_LENGTH
    return text if len(text) <= limit else text[: limit - len(ELLIPSIS)] + ELLIPSIS


def _quiz_lines(context: BotContext, quiz: quiz_stats.QuizPicture) -> list[str]:
    lines = [context.text("quiz.stats_title")]
    for u in quiz.units:
        lines.append(
            context.text(
                "quiz.stats_unit",
                unit=u.unit_name,
                cleared=u.cleared,
                total=u.people,
                passed=u.passed,
                attempts=u.attempts,
            )
        )
    if quiz.missed:
        lines.append(context.text("quiz.stats_missed_title"))
        lines += [
            context.text("quiz.stats_missed", qid=q, count=n, stem=stem[:40]) for q, stem, n in quiz.missed
        ]
    return lines


def _round_lines(context: BotContext, rounds: list[duty_status.RoundStatus]) -> list[str]:
    lines = []
    for r in rounds:
        counts = {
            k: len(getattr(r, k)) for k in ("on_time", "late", "issue", "excused", "handled", "missing")
        }
        lines.append(context.text("status.round_line", unit=r.unit_name, due=r.due, **counts))
        for label in ("late", "issue", "excused", "handled", "missing"):
            names = getattr(r, label)
            if names:
                label_text = context.text(f"status.label_{label}")
                shown = render_text(status_picture.capped(names), context.language)
                lines.append(context.text("status.names_line", label=label_text, names=shown))
    return lines


async def members_pressed(update: Update, context: BotContext, unit_id: str) -> None:
    """Re-check rights at the press: the presser must still lead this unit."""
    query = update.callback_query
    assert query is not None and context.actor is not None
    if not may_run(context.actor, "status"):
        await query.answer(context.text("access.button_denied"), show_alert=True)
        return
    async with context.runtime.reading() as session:
        view = await roster_status.unit_members(session, actor=context.actor, unit_id=unit_id)
    if view is None:
        await query.answer(context.text("access.button_denied"), show_alert=True)
        return
    await query.answer()
    lines = [context.text("status.members_title", unit=view.unit_name)]
    for member in view.members:
        key = "status.member_bound" if member.bound else "status.member_unbound"
        lines.append(context.text(key, name=member.name, roles=role_names(context, member.roles)))
    assert update.effective_message is not None
    await update.effective_message.reply_text("\n".join(lines))
