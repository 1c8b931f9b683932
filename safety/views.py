"""Views: what the domain says to a person, channel- and language-neutral.

A view is lines of text keys with parameters, and buttons as actions. The outbox stores views (as JSON), and a
channel renders one in the recipient's language when it sends it: the same round opening is one view for
five hundred people whatever their languages, and a language switch applies to what is still waiting.

    View((Text("checkin.open", unit="爆破班", due="07:30"), "1. 安全帽", Text("checkin.open_hint")),
         ((Action(Text("checkin.all_fine"), "ci", "12.ok"),),))

Parameters are plain values (shown as they are: names, notes, a unit's own checklist items), other `Text`s
(rendered in the same language) or `Join`s (a list joined by a catalog separator). A line that is a plain
string is user content, shown as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from safety.texts import t

Param = Any  # str | int | float | Text | Join


@dataclass(frozen=True)
class Text:
    """One catalog text with its parameters."""

    key: str
    params: Mapping[str, Param] = field(default_factory=dict)

    def __init__(self, key: str, /, **params: Param) -> None:
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "params", params)

    def __hash__(self) -> int:
        return hash((self.key, tuple(sorted((k, repr(v)) for k, v in self.params.items()))))


@dataclass(frozen=True)
class Join:
    """Items joined by the catalog's separator `sep` (a text key)."""

    items: tuple[Param, ...]
    sep: str = "digest.name_separator"


@dataclass(frozen=True)
class Action:
    """A button: its label, and the action and argument a press carries back (verified at the press)."""

    label: Text
    action: str
    arg: str = ""


Line = Text | str


@dataclass(frozen=True)
class Attachment:
    """A file sent with a view, after its text: a document (a PDF under the data folder, sent under `name`)
    or a photo (a chat file id, or a path)."""

    kind: str  # "document" | "photo"
    name: str = ""
    path: str | None = None  # relative to the data folder
    file_id: str | None = None  # the channel's own id of a file it holds already


@dataclass(frozen=True)
class View:
    lines: tuple[Line, ...]
    actions: tuple[tuple[Action, ...], ...] = ()
    files: tuple[Attachment, ...] = ()

    def with_head(self, *head: Line) -> View:
        """The same view with lines put on top (a reminder above the checklist)."""
        return View((*head, *self.lines), self.actions, self.files)

    # -- the outbox's JSON -----------------------------------------------------------------------------------
    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "lines": [_dump(line) for line in self.lines],
            "actions": [
                [{"label": _dump(a.label), "action": a.action, "arg": a.arg} for a in row]
                for row in self.actions
            ],
        }
        if self.files:
            payload["files"] = [
                {"kind": f.kind, "name": f.name, "path": f.path, "file_id": f.file_id} for f in self.files
            ]
        return payload

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> View:
        if "lines" not in payload:  # rows written before views: rendered text with plain labels
            rows = tuple(
                tuple(Action(_literal(b["label"]), b["action"], b.get("arg", "")) for b in row)
                for row in payload.get("buttons", [])
            )
            return cls((str(payload.get("text", "")),), rows)
        return cls(
            tuple(_load(line) for line in payload["lines"]),
            tuple(
                tuple(Action(_load(a["label"]), a["action"], a.get("arg", "")) for a in row)
                for row in payload.get("actions", [])
            ),
            tuple(
                Attachment(f["kind"], f.get("name", ""), f.get("path"), f.get("file_id"))
                for f in payload.get("files", [])
            ),
        )


LITERAL = "delivery.raw"  # "{value}": a label stored before views, shown as it was


def _literal(value: str) -> Text:
    return Text(LITERAL, value=value)


def _dump(value: Param) -> Any:
    if isinstance(value, Text):
        return {"k": value.key, "p": {name: _dump(v) for name, v in value.params.items()}}
    if isinstance(value, Join):
        return {"j": [_dump(v) for v in value.items], "s": value.sep}
    return value


def _load(value: Any) -> Any:
    if isinstance(value, dict):
        if "k" in value:
            return Text(value["k"], **{name: _load(v) for name, v in value.get("p", {}).items()})
        if "j" in value:
            return Join(tuple(_load(v) for v in value["j"]), value.get("s", "digest.name_separator"))
    return value


# -- rendering ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Button:
    """A rendered button: the label in the reader's language, and what a press carries back."""

    label: str
    action: str
    arg: str = ""


@dataclass(frozen=True)
class Rendered:
    lines: tuple[str, ...]
    buttons: tuple[tuple[Button, ...], ...] = ()
    files: tuple[Attachment, ...] = ()

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def render_param(value: Param, language: str) -> Any:
    if isinstance(value, Text):
        return render_text(value, language)
    if isinstance(value, Join):
        return t(language, value.sep).join(str(render_param(v, language)) for v in value.items)
    return value


def render_text(text: Text, language: str) -> str:
    params = {name: render_param(v, language) for name, v in text.params.items()}
    return t(language, text.key, **params)


def render_line(line: Line, language: str) -> str:
    return line if isinstance(line, str) else render_text(line, language)


def render(view: View, language: str) -> Rendered:
    """The view in one language: its lines and its buttons' labels."""
    return Rendered(
        tuple(render_line(line, language) for line in view.lines),
        tuple(
            tuple(Button(render_text(a.label, language), a.action, a.arg) for a in row)
            for row in view.actions
        ),
        view.files,
    )
