"""XML from the network, parsed without its dangerous features: WeCom's callback bodies and their decrypted
messages are small flat documents, so a DOCTYPE, an entity declaration or a processing of external entities
has no business there and is refused outright (no billion laughs, no external entity reads), and the size
and nesting are bounded before anything is built.

ElementTree's own parser cannot be told to refuse a DOCTYPE, so this drives expat directly and builds the
tree with ElementTree's TreeBuilder (as defusedxml does)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.parsers import expat

MAX_BYTES = 64 * 1024  # WeCom's callbacks are a few hundred bytes; a card event with items a few KB
MAX_DEPTH = 8  # <xml><SelectedItems><SelectedItem><OptionIds><OptionId> is the deepest WeCom sends


class UnsafeXml(ValueError):
    """The document is not well-formed, too large or too deep, or declares a DOCTYPE or entities."""


def parse(text: str | bytes) -> ET.Element:
    """The document's root element; UnsafeXml for anything else than a plain, small, well-formed document."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    if len(data) > MAX_BYTES:
        raise UnsafeXml(f"document of {len(data)} bytes (at most {MAX_BYTES})")
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate(encoding="utf-8")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    depth = 0

    def start(tag: str, attributes: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_DEPTH:
            raise UnsafeXml(f"nested deeper than {MAX_DEPTH}")
        builder.start(tag, attributes)

    def end(tag: str) -> None:
        nonlocal depth
        depth -= 1
        builder.end(tag)

    def refuse(*_args: object) -> None:
        raise UnsafeXml("DOCTYPE, entity declarations and external entities are refused")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    parser.ordered_attributes = False
    try:
        parser.Parse(data, True)
        return builder.close()
    except expat.ExpatError as exc:
        raise UnsafeXml(f"not well-formed: {exc}") from None
    except AssertionError:  # TreeBuilder.close() on an empty document
        raise UnsafeXml("no root element") from None
