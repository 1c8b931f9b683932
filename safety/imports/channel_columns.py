"""The people's channel columns of the org file and the roster: `wecom_userid` and `preferred_channel`.

`wecom_userid` is the person's WeCom (企业微信) member account, by which the WeCom channel recognises them
inside the corp without a binding code; absent, it is their employee_no. WeCom's own rules apply: 1–64
characters of letters, digits and `_-.@`, the first a letter or digit, unique in the corp ignoring case —
so two people of a file may not share one, whether given or defaulted (a `wecom_userid` equal to someone
else's employee_no would make that person unreachable on WeCom, or worse, reach the wrong one).
`preferred_channel` (`telegram` | `wecom`) is where their messages go when they are bound on both; empty,
the stored choice stays (the person's own, from /channel).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from safety.imports.fields import check_visible
from safety.imports.problems import ProblemSink, problem

WECOM_USERID_MAX = 64
WECOM = "wecom"
PREFERRED_CHANNELS = ("telegram", WECOM)  # the contract's channel names (DESIGN.md)
_WECOM_USERID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")


@dataclass
class ChannelColumns:
    """Checks the channel columns person by person, remembering the WeCom userids seen (case folded)."""

    seen: dict[str, tuple[int, str]] = field(default_factory=dict)  # folded userid -> (line, employee_no)

    def wecom_userid(
        self, value: str | None, *, employee_no: str | None, line: int, problems: ProblemSink
    ) -> str | None:
        """The given userid (None when absent: the employee_no stands in); a problem when it breaks
        WeCom's rules or is someone else's, given or defaulted."""
        given = value.strip() if value is not None else None
        if given == "":
            given = None
        if given is not None:
            if check_visible(given, "wecom_userid", line, problems) is None:
                return None
            if len(given) > WECOM_USERID_MAX or not _WECOM_USERID.match(given):
                problems.append(problem(line, "bad_wecom_userid", value=given, max=WECOM_USERID_MAX))
                return None
        effective = given if given is not None else employee_no
        if effective is None:
            return given
        folded = effective.casefold()
        first = self.seen.get(folded)
        if first is not None and first[1] != employee_no:
            problems.append(
                problem(line, "duplicate_wecom_userid", value=effective, first_line=first[0], other=first[1])
            )
            return None
        self.seen.setdefault(folded, (line, employee_no or ""))
        return given

    @staticmethod
    def preferred_channel(value: str | None, *, line: int, problems: ProblemSink) -> str | None:
        """`telegram` or `wecom` (any case), None when absent or empty."""
        given = (value or "").strip().lower()
        if not given:
            return None
        if given not in PREFERRED_CHANNELS:
            allowed = ", ".join(PREFERRED_CHANNELS)
            problems.append(problem(line, "bad_preferred_channel", value=value, allowed=allowed))
            return None
        return given
