"""Bot API methods about the bot itself: identity, update delivery (getUpdates, webhooks), commands."""

from __future__ import annotations

import re
from typing import Any

from bot.sandbox.calls import ApiError, Call, Runtime, bad
from bot.sandbox.markup import check_commands
from bot.sandbox.state import UPDATES, Webhook

MAX_POLL_TIMEOUT = 50
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
ScopeKey = tuple[str, int | None, int | None]


class SetupMethods:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.state = rt.state
        self._poll_generation = 0

    def table(self) -> dict[str, Any]:
        return {
            "getMe": self.get_me,
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "setChatMenuButton": self.set_chat_menu_button,
            "getChatMenuButton": self.get_chat_menu_button,
            "getChat": self.get_chat,
            "setMyDescription": self._set_text("description"),
            "getMyDescription": self._get_text("description"),
            "setMyShortDescription": self._set_text("short_description"),
            "getMyShortDescription": self._get_text("short_description"),
        }

    async def get_me(self, call: Call) -> Any:
        return self.state.bot_user

    # -- updates -----------------------------------------------------------------------------------------
    async def get_updates(self, call: Call) -> Any:
        state = self.state
        if state.webhook.url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
                "the webhook first",
            )
        offset = call.integer("offset", 0) or 0
        limit = min(100, max(1, call.integer("limit", 100) or 100))
        timeout = min(MAX_POLL_TIMEOUT, max(0, call.integer("timeout", 0) or 0))
        allowed = call.json("allowed_updates")
        if isinstance(allowed, list):
            state.allowed_updates = [str(a) for a in allowed] or None
        state.confirm_updates(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        state.notifier.notify(UPDATES)  # an older poll still waiting ends with 409
        call.wait_key = UPDATES

        def check() -> str | None:
            if generation != self._poll_generation:
                return "conflict"
            if call.closed or state.closing or state.webhook.url:
                return "closed"
            return "ready" if state.updates else None

        if await state.notifier.wait_until(UPDATES, check, timeout) == "conflict":
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; make sure that only one bot instance is "
                "running",
            )
        return [] if state.webhook.url else state.updates[:limit]

    async def set_webhook(self, call: Call) -> Any:
        url = call.string("url") or ""
        secret = call.string("secret_token")
        if url and not re.match(r"https?://\S+$", url):
            raise bad("bad webhook: An HTTPS URL must be provided for webhook")
        if secret is not None and not _SECRET.fullmatch(secret):
            raise bad("secret token contains unallowed characters")
        if call.flag("drop_pending_updates"):
            self.state.updates.clear()
        allowed = call.json("allowed_updates")
        if isinstance(allowed, list):
            self.state.allowed_updates = [str(a) for a in allowed] or None
        self.state.webhook = Webhook(
            url=url, secret_token=secret, max_connections=call.integer("max_connections", 40) or 40
        )
        self.state.webhook.allowed_updates = self.state.allowed_updates
        self.state.notifier.notify(UPDATES)
        return True

    async def delete_webhook(self, call: Call) -> Any:
        if call.flag("drop_pending_updates"):
            self.state.updates.clear()
        self.state.webhook = Webhook()
        self.state.notifier.notify(UPDATES)
        return True

    async def get_webhook_info(self, call: Call) -> Any:
        hook = self.state.webhook
        out: dict[str, Any] = {
            "url": hook.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.state.updates),
        }
        if hook.url:
            out["max_connections"] = hook.max_connections
            if hook.allowed_updates:
                out["allowed_updates"] = hook.allowed_updates
            if hook.last_error_date:
                out["last_error_date"] = hook.last_error_date
                out["last_error_message"] = hook.last_error_message
        return out

    # -- commands ----------------------------------------------------------------------------------------
    def _scope(self, call: Call) -> ScopeKey:
        scope = call.json("scope") or {"type": "default"}
        if not isinstance(scope, dict):
            raise bad("can't parse BotCommandScope JSON object")
        kind = scope.get("type")
        if kind in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
            return (str(kind), None, None)
        if kind in ("chat", "chat_administrators", "chat_member"):
            chat = self.rt.chat(Call(call.method, scope))
            user = scope.get("user_id") if kind == "chat_member" else None
            return (str(kind), chat.id, int(user) if user is not None else None)
        raise bad("wrong scope type specified")

    def _language(self, call: Call) -> str:
        code = call.string("language_code") or ""
        if code and not re.fullmatch(r"[a-z]{2}", code):
            raise bad("invalid language code specified")
        return code

    async def set_my_commands(self, call: Call) -> Any:
        commands = check_commands(call.json("commands"))
        key = (self._scope(call), self._language(call))
        if commands:
            self.state.commands[key] = commands
        else:
            self.state.commands.pop(key, None)
        return True

    async def get_my_commands(self, call: Call) -> Any:
        return self.state.commands.get((self._scope(call), self._language(call)), [])

    async def delete_my_commands(self, call: Call) -> Any:
        self.state.commands.pop((self._scope(call), self._language(call)), None)
        return True

    # -- menu button, chats, descriptions -----------------------------------------------------------------
    async def set_chat_menu_button(self, call: Call) -> Any:
        chat_id = self.rt.chat(call).id if call.params.get("chat_id") is not None else None
        button = call.json("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in ("default", "commands", "web_app"):
            raise bad("can't parse menu button JSON object")
        self.state.menu_buttons[chat_id] = button
        return True

    async def get_chat_menu_button(self, call: Call) -> Any:
        chat_id = self.rt.chat(call).id if call.params.get("chat_id") is not None else None
        button = self.state.menu_buttons.get(chat_id) or self.state.menu_buttons.get(None)
        return button if button and button.get("type") != "default" else {"type": "commands"}

    async def get_chat(self, call: Call) -> Any:
        chat = self.rt.chat(call)
        gifts = {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
        }
        return {
            **self.state.chat_api(chat.id),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": gifts,
        }

    def _set_text(self, key: str) -> Any:
        async def method(call: Call) -> Any:
            self.state.descriptions[(key, self._language(call))] = call.string(key) or ""
            return True

        return method

    def _get_text(self, key: str) -> Any:
        async def method(call: Call) -> Any:
            return {key: self.state.descriptions.get((key, self._language(call)), "")}

        return method
