"""The views of /incidents and /tasks: the lists with their filter and page buttons.

/incidents buttons carry `<kind code><state code><page>` (e.g. `h-0`: hazards, any state, first page) under
action `ic`, read again at the press: the button says only which page and filter to draw, never what is on
it. (/pending: handlers/pending.py.)"""

from __future__ import annotations

from collections.abc import Sequence

from safety.reports.history import count_lines, history_lines, state_text
from safety.reports.listing import IncidentsPage, Readable, Task
from safety.reports.routing import kind_text
from safety.reports.rules import Kind, State
from safety.views import Action, Line, Text, View

INCIDENTS = "ic"
ANY = "-"
KIND_CODES: dict[str, str | None] = {
    ANY: None,
    "h": Kind.HAZARD,
    "n": Kind.NEAR_MISS,
    "a": Kind.ACCIDENT,
    "v": Kind.VIOLATION,
}
STATE_CODES: dict[str, str | None] = {
    ANY: None,
    "r": State.REPORTED,
    "a": State.ASSIGNED,
    "s": State.SUBMITTED,
}
PAGE_DIGITS = 4


def _code(codes: dict[str, str | None], value: str | None) -> str:
    return next(code for code, v in codes.items() if v == value)


def incidents_arg(kind: str | None, state: str | None, page: int) -> str:
    return f"{_code(KIND_CODES, kind)}{_code(STATE_CODES, state)}{page}"


def parse_incidents_arg(arg: str) -> tuple[str | None, str | None, int] | None:
    """(kind, state, page) from a button's argument; None when it is not one of ours."""
    if len(arg) < 3 or arg[0] not in KIND_CODES or arg[1] not in STATE_CODES:
        return None
    page = arg[2:]
    if not page.isdigit() or len(page) > PAGE_DIGITS:
        return None
    return KIND_CODES[arg[0]], STATE_CODES[arg[1]], int(page)


def _label(text: Text, selected: bool) -> Text:
    return Text("incidents.selected", label=text) if selected else text


def _kind_label(kind: str | None) -> Text:
    return kind_text(kind) if kind else Text("incidents.filter_all")


def _state_label(state: str | None) -> Text:
    return state_text(state) if state else Text("incidents.filter_all")


def incidents_view(p: IncidentsPage) -> View:
    lines: list[Line] = [
        Text("incidents.title", total=p.total, page=p.page + 1, pages=p.pages),
        Text("incidents.filter_line", kind=_kind_label(p.kind), state=_state_label(p.state)),
    ]
    lines += p.lines or [Text("incidents.none")]
    lines += ["", *count_lines(p.counts)]
    kinds = tuple(
        Action(_label(_kind_label(k), k == p.kind), INCIDENTS, incidents_arg(k, p.state, 0))
        for k in KIND_CODES.values()
    )
    states = tuple(
        Action(_label(_state_label(s), s == p.state), INCIDENTS, incidents_arg(p.kind, s, 0))
        for s in STATE_CODES.values()
    )
    actions: list[tuple[Action, ...]] = [kinds, states]
    nav: list[Action] = []
    if p.page > 0:
        nav.append(Action(Text("flows.prev_page"), INCIDENTS, incidents_arg(p.kind, p.state, p.page - 1)))
    if p.page + 1 < p.pages:
        nav.append(Action(Text("flows.next_page"), INCIDENTS, incidents_arg(p.kind, p.state, p.page + 1)))
    if nav:
        actions.append(tuple(nav))
    return View(tuple(lines), tuple(actions))


def history_view(readable: Readable) -> View:
    return View(tuple(history_lines(readable.history, show_reporter=readable.show_reporter)))


def not_found_view(number: str) -> View:
    return View((Text("incidents.not_found", number=number[:30]),))


def tasks_view(tasks: Sequence[Task]) -> View:
    if not tasks:
        return View((Text("tasks.none"),))
    return View((Text("tasks.title", count=len(tasks)), *(t.line for t in tasks)))
