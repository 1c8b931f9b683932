"""Reports (flow 4): hazards 隐患, near misses 未遂, accidents 事故 and violations 违章, their numbers, who is
told, and rectification (整改) to closure. Channel-neutral: time enters as `now`, messages leave as views.

Modules: `create` (a submitted report: number, rows, notices, the duties it opens), `numbers`, `routing`
(who is told, the notices), `rules` (limits and the words of the contract), `duties` (the obligations a
report opens and closes: accident_ack, accident_report, rectification).
"""
