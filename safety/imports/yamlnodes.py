"""Reading YAML as a node tree so that every value keeps the line it came from.

Scalars are taken as their raw text (`node.value`), so `17:30`, `E1001` or `13800000001` arrive exactly as
written, whatever YAML 1.1 would resolve them to; an empty or `~` value counts as absent. libyaml's parser
is used when PyYAML has it (four times faster, half the memory), else PyYAML's own. Anchors and aliases
(`checkin: *workdays`) are allowed as long as the file does not expand beyond MAX_NODES values: a small
file of nested aliases ("billion laughs") would otherwise take hours to walk.
"""

from __future__ import annotations

from collections.abc import Iterable

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from safety.imports.problems import Problem, problem

NULL_TAG = "tag:yaml.org,2002:null"
MAX_NODES = 5_000_000  # values once aliases are expanded; an 8 MB org file has about a million
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def line_of(node: Node) -> int:
    return int(node.start_mark.line) + 1


def compose(text: str) -> tuple[Node | None, list[Problem]]:
    """The root node of a single-document YAML text, or the syntax problem with its line."""
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (NUL, ESC, …): its first line
        found = text.find(chr(exc.character))
        line = text.count("\n", 0, found) + 1 if found >= 0 else 1
        return None, [problem(line, "yaml_syntax", detail=f"{exc.reason} (U+{exc.character:04X})")]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        last_line = max(1, len(text.splitlines()))
        line = min(int(mark.line) + 1, last_line) if mark is not None else 1
        detail = " ".join(part for part in (exc.context, exc.problem) if part) or "syntax error"
        return None, [problem(line, "yaml_syntax", detail=detail)]
    except yaml.YAMLError as exc:
        return None, [problem(1, "yaml_syntax", detail=str(exc))]
    if root is None or is_null(root):
        return None, [problem(1, "empty_file")]
    if "&" in text and "*" in text and _expanded_size(root) > MAX_NODES:  # aliases need an anchor
        return None, [problem(1, "yaml_too_large", max=MAX_NODES)]
    return root, []


def _expanded_size(root: Node) -> int:
    """How many values the tree has once every alias is written out (more than MAX_NODES for a cycle)."""
    sizes: dict[int, int] = {}
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes and not children_done:
            continue
        children = _children(node)
        if children_done:
            sizes[id(node)] = min(1 + sum(sizes.get(id(c), MAX_NODES + 1) for c in children), MAX_NODES + 1)
            continue
        sizes[id(node)] = MAX_NODES + 1  # on the path: an alias back to it is a cycle
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes[id(root)]


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == NULL_TAG


class NodeReader:
    """Typed access to nodes; every mismatch is recorded as a Problem and the accessor returns None."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, line: int, code: str, **params: object) -> None:
        self.problems.append(problem(line, code, **params))

    def mapping(
        self,
        node: Node,
        field: str,
        allowed: Iterable[str],
        required: Iterable[str] = (),
        unknown_code: str = "unknown_key",
    ) -> dict[str, Node] | None:
        """The keys of a mapping node; unknown and duplicate keys and missing required keys are errors."""
        if not isinstance(node, MappingNode):
            self.add(line_of(node), "wrong_type", field=field, expected="a mapping (key: value)")
            return None
        allowed_set = set(allowed)
        found: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if key is None:
                self.add(line_of(key_node), "wrong_type", field=f"a key in {field}", expected="text")
            elif key not in allowed_set:
                self.add(line_of(key_node), unknown_code, key=key, allowed=", ".join(sorted(allowed_set)))
            elif key in found:
                self.add(line_of(key_node), "duplicate_key", key=key)
            elif not is_null(value_node):
                found[key] = value_node
        for key in required:
            if key not in found:
                self.add(line_of(node), "missing_field", field=f"{field}.{key}")
        return found

    def sequence(self, node: Node, field: str) -> list[Node] | None:
        if not isinstance(node, SequenceNode):
            self.add(line_of(node), "wrong_type", field=field, expected="a list")
            return None
        return list(node.value)

    def text(self, node: Node, field: str, max_len: int | None = None) -> str | None:
        """A non-empty scalar as stripped text."""
        if not isinstance(node, ScalarNode):
            self.add(line_of(node), "wrong_type", field=field, expected="a single value")
            return None
        value = str(node.value).strip()
        if not value:
            self.add(line_of(node), "missing_field", field=field)
            return None
        if max_len is not None and len(value) > max_len:
            self.add(line_of(node), "too_long", field=field, max=max_len)
            return None
        return value

    def texts(self, node: Node, field: str) -> list[tuple[str, int]] | None:
        """A list of scalars (a single scalar counts as a one-item list), each with its line."""
        items = [node] if isinstance(node, ScalarNode) else self.sequence(node, field)
        if items is None:
            return None
        out: list[tuple[str, int]] = []
        for item in items:
            value = self.text(item, field)
            if value is not None:
                out.append((value, line_of(item)))
        return out
