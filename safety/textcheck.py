"""Invisible and control characters in text that comes from outside (import files, chat messages).

A key or a name carrying an invisible character looks like another one but compares different: a NUL byte
or a zero-width space pasted into a roster's employee number added a new person and deactivated the real
one. The importers refuse such values (`invisible_or_control`); the chat side cleans free text with
`visible` and refuses a note that is blank once cleaned (`is_blank`). Free text (a question, a checklist
item) is only refused control characters (`control_characters`), so that emoji sequences stay allowed.

Invisible or control, here:
- category Cc: C0 controls, DEL, C1 controls (LF, CR and TAB are allowed where a text may span lines);
- category Cf, the format characters: soft hyphen U+00AD, zero-width space and joiners U+200B-U+200D,
  direction marks and embeddings U+200E/U+200F, U+202A-U+202E, U+2066-U+2069, word joiner and invisible
  operators U+2060-U+2064, the byte order mark U+FEFF, tags U+E0001-U+E007F and the like;
- Zl and Zp (U+2028, U+2029): line breaks that most tools do not show; Cs: lone surrogates;
- the other default-ignorable code points, which render as nothing although they count as letters or marks
  (Hangul fillers, variation selectors, U+034F, U+17B4/5, U+180B-U+180F), and U+2800, the blank braille
  pattern often used to send "empty" messages.
Spaces (Zs) are visible as spaces and are not refused here: keys refuse every space anyway (one word), and
in names the odd ones (no-break space U+00A0, ideographic space U+3000, U+2000-U+200A, ...) are read as an
ordinary space (`plain_spaces`), so that a name padded with an ideographic space, as Chinese rosters
often do, is the same name as with an ordinary one.
"""

from __future__ import annotations

import re
import unicodedata

_CONTROL_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})
_HIDDEN_CATEGORIES = _CONTROL_CATEGORIES | {"Cf", "Cs"}
_IGNORABLE = re.compile(
    "[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2800\u3164\ufe00-\ufe0f\uffa0\U000e0100-\U000e01ef]"
)
_ODD_SPACES = re.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_LINE_CHARS = frozenset("\n\r\t")
_EMOJI_GLUE = frozenset("\u200d\ufe0e\ufe0f")  # zero-width joiner and the text/emoji variation selectors
_SYMBOLS = frozenset({"So", "Sk"})


def _clean(text: str) -> bool:
    """Fast path: printable (no C* or Z* but the ASCII space) and no ignorable letter or mark."""
    return text.isprintable() and _IGNORABLE.search(text) is None


def is_hidden(char: str) -> bool:
    """One character that is invisible or a control character (see the module's list)."""
    return unicodedata.category(char) in _HIDDEN_CATEGORIES or _IGNORABLE.match(char) is not None


def invisible_or_control(text: str, *, multiline: bool = False) -> list[str]:
    """The invisible and control characters of `text` as U+XXXX, each once, in order of appearance; empty
    when there are none. `multiline`: LF, CR and TAB are allowed (a question's stem, not a key or a name)."""
    if _clean(text):
        return []
    found: dict[str, None] = {}
    for char in text:
        if not (multiline and char in _LINE_CHARS) and is_hidden(char):
            found.setdefault(f"U+{ord(char):04X}")
    return list(found)


def control_characters(text: str, *, multiline: bool = False) -> list[str]:
    """Only the control characters of `text` (Cc, and the line and paragraph separators), as U+XXXX: for
    free text such as a question's stem or a checklist item, where an emoji's joiner is fine."""
    if text.isprintable():
        return []
    found: dict[str, None] = {}
    for char in text:
        if not (multiline and char in _LINE_CHARS) and unicodedata.category(char) in _CONTROL_CATEGORIES:
            found.setdefault(f"U+{ord(char):04X}")
    return list(found)


def visible(text: str) -> str:
    """`text` without its invisible and control characters, stripped of surrounding whitespace. Kept: line
    breaks (LF; U+2028/U+2029 become LF, CR is dropped) and tabs, and a joiner or variation selector right
    after a symbol, so that emoji sequences such as ❤️ or 👩‍🚀 stay whole."""
    if _clean(text):
        return text.strip()
    out: list[str] = []
    for char in text:
        if char in "\n\t" or not is_hidden(char):
            out.append(char)
        elif char in "\u2028\u2029":
            out.append("\n")
        elif char in _EMOJI_GLUE and out and _glues_to(out[-1]):
            out.append(char)
    return "".join(out).strip()


def _glues_to(previous: str) -> bool:
    return previous in _EMOJI_GLUE or unicodedata.category(previous) in _SYMBOLS


def is_blank(text: str) -> bool:
    """Nothing to read once invisible characters and whitespace are gone (a note of zero-width spaces)."""
    return not visible(text)


def plain_spaces(text: str) -> str:
    """The odd spaces (U+00A0, U+3000, U+2000-U+200A, ...) replaced by an ordinary space."""
    return _ODD_SPACES.sub(" ", text)
