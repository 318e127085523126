"""Reading YAML input files safely and strictly.

Scenario and population files are plain data: they are parsed with a subclass of PyYAML's
``SafeLoader`` (no tag can construct a Python object or run code) with limits that keep a
hostile file from exhausting time or memory:

- the file must be a regular file of at most :data:`MAX_BYTES` bytes, valid UTF-8, with no NUL
  or other binary control characters;
- mappings may not repeat a key (YAML says keys are unique; PyYAML would keep the last one);
- nesting is limited to :data:`MAX_DEPTH` levels (deeper input would exhaust the stack);
- the document, with every alias expanded, may hold at most :data:`MAX_NODES` nodes (an
  "alias bomb" of a few hundred bytes would otherwise expand to gigabytes), and at most
  :data:`MAX_ALIASES` aliases may be used.

Every refusal is an :class:`~dyadsim.core.errors.InputError` naming the file and what is allowed.
"""
from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from dyadsim.core.errors import InputError

MAX_BYTES = 1_000_000
"""Largest input file read (bytes); scenario files are a few kB."""
MAX_DEPTH = 32
"""Deepest nesting of mappings and sequences."""
MAX_NODES = 100_000
"""Most nodes in a document once every alias is expanded."""
MAX_ALIASES = 1_000
"""Most aliases (``*name``) in one document."""

# Control characters other than tab, newline and carriage return mark a binary file.
_BINARY = {c for c in range(32) if c not in (9, 10, 13)} | {127}
_BINARY_RE = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_BINARY)) + "]")


class _Limit(Exception):
    """A limit of the strict loader was exceeded (message says which)."""


class StrictSafeLoader(yaml.SafeLoader):
    """``SafeLoader`` that refuses duplicate keys, deep nesting and alias expansion bombs."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:  # type: ignore[override]
        """Compose one node, counting nesting depth and aliases."""
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _Limit(f"more than {MAX_ALIASES} aliases")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Limit(f"nesting deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:  # type: ignore[override]
        """Build a mapping, refusing a key that appears twice."""
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)  # type: ignore[arg-type]
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key: the base class reports it
                continue
            if duplicate:
                line = key_node.start_mark.line + 1
                raise _Limit(f"duplicate key {_short(repr(key))} at line {line} (each key may appear once)")
        return super().construct_mapping(node, deep=deep)


def _expanded_size(root: Node) -> int:
    """Number of nodes of the document with every alias expanded (shared nodes counted each time),
    computed once per distinct node so that the count itself stays cheap.

    Raises:
        _Limit: an alias refers to a node that contains it (a recursive structure).
    """
    size: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:  # iterative depth-first walk over distinct nodes (no recursion)
        node, done = stack.pop()
        key = id(node)
        if done:
            active.discard(key)
            size[key] = min(1 + sum(size[id(c)] for c in _children(node)), MAX_NODES + 1)
            continue
        if key in size:
            continue
        if key in active:
            raise _Limit("an alias refers to a value that contains it (recursive structure)")
        active.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in active:
                raise _Limit("an alias refers to a value that contains it (recursive structure)")
            stack.append((child, False))
    return size[id(root)]


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [x for pair in node.value for x in pair]
    return []


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def read_text(path: str | Path, what: str = "file", *, limit: int = MAX_BYTES, expect: str = "a YAML text file") -> str:
    """The text of a small regular UTF-8 file of at most ``limit`` bytes.

    The file is opened without blocking and checked on the opened descriptor, so a FIFO, a device
    (``/dev/zero``) or a symlink to one is refused at once instead of hanging or being read without
    end. ``expect`` says what to give instead (e.g. "a YAML text file").

    Raises:
        InputError: missing, not a regular file, too large, binary or not UTF-8.
    """
    origin = str(path)
    if "\x00" in origin:
        raise InputError(origin.replace("\x00", "\\0"), "(file)", f"the {what} path contains a NUL character")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise InputError(origin, "(file)", f"the {what} does not exist") from None
    except IsADirectoryError:
        raise InputError(origin, "(file)", f"the {what} is a folder; give {expect}") from None
    except OSError as exc:
        raise InputError(origin, "(file)", f"the {what} cannot be read ({exc.strerror})") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        kind = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file (a FIFO, device or socket)"
        raise InputError(origin, "(file)", f"the {what} is {kind}; give {expect}")
    with os.fdopen(fd, "rb") as fh:
        if st.st_size > limit:
            raise InputError(origin, "(file)", f"the {what} is larger than {limit:,} bytes ({st.st_size:,})")
        try:
            raw = fh.read(limit + 1)
        except OSError as exc:
            raise InputError(origin, "(file)", f"the {what} cannot be read ({exc.strerror})") from None
    if len(raw) > limit:
        raise InputError(origin, "(file)", f"the {what} is larger than {limit:,} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(origin, "(file)", f"the {what} is not UTF-8 text (byte {exc.start}); give {expect}") from None
    found = _BINARY_RE.search(text)
    if found is not None:
        raise InputError(origin, "(file)", f"the {what} holds a binary control character "
                         f"(code {ord(found.group())} at character {found.start()}); give {expect}")
    return text


def parse_yaml(text: str, origin: str) -> Any:
    """Parse one YAML document strictly (see the module doc for the limits).

    Raises:
        InputError: not valid YAML, a tag that is not plain data, or a limit exceeded.
    """
    loader = StrictSafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node) > MAX_NODES:
            raise _Limit(f"more than {MAX_NODES:,} values once aliases are expanded")
        return loader.construct_document(node)
    except _Limit as exc:
        raise InputError(origin, "(file)", f"refused: {exc}") from None
    except yaml.YAMLError as exc:
        raise InputError(origin, "(file)", "not valid YAML (plain data only; tags that run code are refused): "
                         + _short(str(exc).replace("\n", " "), 300)) from None
    except (RecursionError, MemoryError):
        raise InputError(origin, "(file)", "refused: too deeply nested or too large") from None
    finally:
        loader.dispose()


def load_yaml(path: str | Path, what: str = "file") -> Any:
    """Read and parse a YAML input file safely (see :func:`read_text` and :func:`parse_yaml`)."""
    return parse_yaml(read_text(path, what), str(path))
