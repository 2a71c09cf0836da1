"""Reading input files defensively: scenario YAML and the text of data files.

Files come from users and, sometimes, from other people: a file may be binary, in another
encoding, a device that never ends (``/dev/zero``), or a YAML document built to explode
(aliases that expand a billion-fold, nesting thousands deep). Every such file is refused
with a ``file: message`` error after reading a bounded number of bytes, before anything
large is built in memory. YAML is parsed by a ``yaml.SafeLoader`` that also refuses
duplicate keys (which plain YAML silently resolves to the last) and keeps dates that do not
exist (``2024-02-30``) as text, so the schema reports them against their field.
"""

from __future__ import annotations

import codecs
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

MAX_YAML_BYTES = 1_000_000  # a whole service is a few KB
MAX_YAML_DEPTH = 40  # a scenario nests about 6 deep
MAX_YAML_NODES = 100_000  # values after aliases are expanded; a service has about 500
UTF16_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class ConfigError(Exception):
    """A scenario or data file is invalid; the message names the file and the field."""


def read_bytes(path: Path, limit: int, what: str = "file") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (never more are read)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"{path}: not a regular file (a folder, device or pipe cannot be a {what})")
    too_big = f"{path}: larger than {limit:,} bytes, the most a {what} may be"
    if info.st_size > limit:
        raise ConfigError(too_big)
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)  # the size may have changed since stat
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
    if len(data) > limit:
        raise ConfigError(too_big)
    return data


def decode_text(data: bytes, source: str) -> str:
    """UTF-8 text (a leading byte-order mark allowed), or a message saying what the file is."""
    if data.startswith(UTF16_BOMS):
        raise ConfigError(f"{source}: UTF-16/32 text; save the file as UTF-8")
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise ConfigError(f"{source}: line {line}: a binary file, not text (or UTF-16: save as UTF-8)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        byte = data[error.start]
        raise ConfigError(
            f"{source}: line {line}: not UTF-8 text (byte 0x{byte:02x}; Latin-1 or Windows text? "
            "save the file as UTF-8)"
        ) from None


class Refused(yaml.MarkedYAMLError):
    """A YAML document that parses but is refused (duplicate key, too deep, too large)."""


class GuardedLoader(yaml.SafeLoader):
    """``SafeLoader`` with a nesting limit, an alias-expansion budget and no duplicate keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        self.depth += 1
        try:
            if self.depth > MAX_YAML_DEPTH:
                mark = self.peek_event().start_mark
                raise Refused(problem=f"values nested more than {MAX_YAML_DEPTH} deep", problem_mark=mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict:
        first: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, yaml.ScalarNode):
                continue  # merge keys override on purpose; non-scalar keys fail later
            key = self.construct_object(key_node)
            line = key_node.start_mark.line + 1
            if key in first:
                problem = f"duplicate key {key!r} (first given on line {first[key]})"
                raise Refused(problem=problem, problem_mark=key_node.start_mark)
            first[key] = line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        """A date that does not exist stays text, so the schema names its field."""
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            return self.construct_scalar(node)


GuardedLoader.add_constructor("tag:yaml.org,2002:timestamp", GuardedLoader.construct_yaml_timestamp)


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def check_expansion(root: Node) -> None:
    """Refuse a document whose aliases expand past the node budget, too deep, or into a loop.

    Sizes are counted on the node graph with shared nodes counted once per use, without
    building the expansion (an alias bomb is a few hundred bytes but expands to 10^9 values).
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            children = _children(node)
            size[key] = 1 + sum(size[id(c)] for c in children)
            depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
            on_path.discard(key)
            if size[key] > MAX_YAML_NODES or depth[key] > MAX_YAML_DEPTH:
                what = (
                    f"more than {MAX_YAML_NODES:,} values"
                    if size[key] > MAX_YAML_NODES
                    else (f"values nested more than {MAX_YAML_DEPTH} deep")
                )
                raise Refused(problem=f"aliases expand to {what}", problem_mark=node.start_mark)
            continue
        if key in size:
            continue
        if key in on_path:
            loop = "an alias refers to a value containing itself"
            raise Refused(problem=loop, problem_mark=node.start_mark)
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in size)


def load_yaml(text: str) -> Any:
    """One YAML document, parsed safely within the limits above."""
    loader = GuardedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        check_expansion(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def read_yaml_file(path: Path) -> Any:
    """The document in a YAML file; every problem is a ``ConfigError`` naming file and line."""
    text = decode_text(read_bytes(path, MAX_YAML_BYTES, "scenario file"), str(path))
    try:
        return load_yaml(text)
    except Refused as error:
        line = f"line {error.problem_mark.line + 1}: " if error.problem_mark else ""
        raise ConfigError(f"{path}: {line}{error.problem}") from None
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f"line {where.line + 1}: " if where else ""
        raise ConfigError(f"{path}: {line}not valid YAML: {getattr(error, 'problem', error)}") from None
    except RecursionError:  # a safety net: the depth limit should stop it first
        raise ConfigError(f"{path}: values nested too deep") from None


def _cell_place(data: bytes, position: int) -> str:
    """``row N, column C`` of a byte in CSV data (the header is row 1; C named by the header)."""
    row = data.count(b"\n", 0, position) + 1
    start = data.rfind(b"\n", 0, position) + 1
    index = data.count(b",", start, position)  # quoting ignored: good enough to point at a cell
    header = data.split(b"\n", 1)[0].decode("utf-8", errors="replace").lstrip("\ufeff").split(",")
    name = header[index].strip().lower() if row > 1 and index < len(header) else ""
    return f"row {row}, column {name or index + 1}"


def decode_table_text(data: bytes, source: str) -> str:
    """The text of a CSV file, or an error naming the row and column of the first bad byte."""
    if data.startswith(UTF16_BOMS):
        raise ConfigError(f"{source}: UTF-16/32 text; save the file as CSV UTF-8")
    bad = data.find(b"\x00")
    problem = "a binary file, not CSV text (or UTF-16: save it as CSV UTF-8)"
    if bad < 0:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            bad = error.start
            problem = f"not UTF-8 text (byte 0x{data[bad]:02x}; Latin-1 or Windows text? save as CSV UTF-8)"
    raise ConfigError(f"{source}: {_cell_place(data, bad)}: {problem}")
