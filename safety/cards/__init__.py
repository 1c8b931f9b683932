"""Reminder cards (安全生产提示卡): date rules, the calendar, delivery and acknowledgement."""
