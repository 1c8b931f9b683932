"""The holiday duty roster (节假日领导带班和24小时值班, 值班表).

Who is on duty when comes from `safetybot import shifts` (safety.imports.shifts_file): one `DutyShift` per
person, unit and start. The day before, each person is reminded; at the start they confirm with 到岗 — a
`duty_shift` obligation (safety.kinds.duty_shift) that escalates by its policy when nobody confirms
(duties.py, confirm.py). `/onduty` and accident routing ask roster.py who is on duty now.
"""
