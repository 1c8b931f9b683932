"""A local WeCom (企业微信) sandbox beside the Telegram one: a fake API for one self-built app and a phone
that posts encrypted callbacks, so the WeCom channel runs offline in tests and in `make run`.

    sandbox = WeComSandbox(clock=clock)                  # fake https://qyapi.weixin.qq.com/cgi-bin
    await sandbox.start()                                # sandbox.base_url -> SAFETYBOT_WECOM_BASE_URL
    sandbox.add_member("E1001", "张三")
    phone = WeComUser(sandbox, callback_url, WeComCrypto(token=…, aes_key=…, corp_id=sandbox.corp_id))
    await phone.send_text("E1001", "打卡")              # -> 200 from the bot's callback
    card = sandbox.messages("E1001")[-1]                 # {"msgtype": "template_card", "buttons": [...]}
    await phone.press("E1001", task_id=card["task_id"], key=card["buttons"][0][1])

WeCom's rules are kept (state.py, messages.py): access tokens for 7,200 s; text cut at 2,048 bytes; template
cards of ≤ 6 buttons with a unique task_id; a press's response_code updates its card once within 24 h; 30
messages a minute and 1,000 an hour per member, the excess answered ok and dropped (`sandbox.dropped`).
"""

from bot.sandbox_wecom.messages import ApiError
from bot.sandbox_wecom.server import WeComSandbox
from bot.sandbox_wecom.state import Call, Limits
from bot.sandbox_wecom.user import WeComUser

__all__ = ["ApiError", "Call", "Limits", "WeComSandbox", "WeComUser"]
