"""WeCom (企业微信) as a second channel: crypto, the API client, the outbox channel, the callback, and the
bridge that hands WeCom messages and button presses to the same handlers as Telegram's."""
