"""/prohibitions: the loaded prohibitions in full, under the bank's source line (and the sample notice)."""

from __future__ import annotations

from collections.abc import Iterable

from telegram import Update

from handlers.context import BotContext
from safety.bank import BankView, loaded_bank

MESSAGE_LIMIT = 3500  # Telegram allows 4096 characters; stay well below


def split_messages(blocks: Iterable[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Join blocks with blank lines into as few messages as fit `limit`; a block never straddles two
    messages unless it is longer than `limit` on its own (then it is cut)."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        while len(block) > limit:
            if current:
                messages.append(current)
                current = ""
            messages.append(block[:limit])
            block = block[limit:]
        candidate = f"{current}\n\n{block}" if current else block
        if len(candidate) > limit:
            messages.append(current)
            candidate = block
        current = candidate
    if current:
        messages.append(current)
    return messages


def render_bank(context: BotContext, bank: BankView) -> list[str]:
    """The messages showing a loaded bank."""
    head = [context.text("bank.title", count=len(bank.prohibitions))]
    head.append(context.text("bank.source_line", source=bank.source))
    if bank.is_sample:
        head.append(context.text("bank.sample_notice"))
    items = [
        context.text("bank.item", number=p.number, title=p.title, text=p.text) for p in bank.prohibitions
    ]
    return split_messages(["\n".join(head), *items])


async def prohibitions_command(update: Update, context: BotContext) -> None:
    """Show every active prohibition (number, title, full text), split over several messages if long."""
    assert update.effective_message is not None
    async with context.runtime.reading() as session:
        bank = await loaded_bank(session)
    if not bank.loaded:
        await update.effective_message.reply_text(context.text("bank.none_loaded"))
        return
    for message in render_bank(context, bank):
        await update.effective_message.reply_text(message)
