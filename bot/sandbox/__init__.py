"""A local Telegram Bot API sandbox: the real PTB Application runs against it, people chat on its page.

    server = SandboxServer(token="123456:SANDBOX", port=0)      # 127.0.0.1, a free port
    await server.start()
    server.add_user(SandboxUser(id=1001, first_name="张三", phone="13800000001", label="张三 · staff"))
    app = (Application.builder().token(server.token)
           .base_url(server.bot_api_base).base_file_url(server.file_base).build())
    async with SandboxClient(server.url) as phone:               # tests and benchmarks act as phones
        await phone.send_text(1001, "/start CODE")
        welcome = await phone.wait_for(1001, lambda m: "欢迎" in m["text"])

Limits are Telegram's by default (30/s overall, 1/s per private chat with a burst of 2, 20/min per group)
and apply to SENDING_METHODS; tests that act faster than a person should set `server.limits.scale = 100`
(or `enabled = False`). The page is at `server.url`; its JSON API is under `/sandbox/api/`.
"""

from bot.sandbox.client import SandboxClient, SandboxError
from bot.sandbox.limits import BLOCKABLE_METHODS, SENDING_METHODS, Faults, Limits, Stats
from bot.sandbox.server import SandboxServer
from bot.sandbox.state import SandboxUser

__all__ = [
    "BLOCKABLE_METHODS",
    "SENDING_METHODS",
    "Faults",
    "Limits",
    "SandboxClient",
    "SandboxError",
    "SandboxServer",
    "SandboxUser",
    "Stats",
]
