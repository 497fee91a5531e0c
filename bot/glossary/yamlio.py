"""Read and write the YAML glossary document (data/glossary.yaml and /glossary import/export)."""

from __future__ import annotations

import datetime
import importlib.resources
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent, CollectionStartEvent, Event, NodeEvent

from bot.glossary import codec, yamlemit
from bot.glossary.models import Entry, GlossaryError, ValidationError
from bot.glossary.schema import DOCUMENT_VERSION, document_date, validate_document
from bot.slices import empty

# A Discord upload; an operator's own file given to the CLI may be much bigger.
MAX_DOCUMENT_BYTES = 2 * 1024 * 1024
MAX_CLI_DOCUMENT_BYTES = 64 * 1024 * 1024
# Deeper than any valid entry (bullets nest 3 levels); stops recursion bombs early.
MAX_YAML_DEPTH = 20

HEADER = (
    "# RVC glossary: the seed loaded on first start and the /glossary import-export format.\n"
    "# Canonical form written by bot.glossary.yamlio.dump_document; keep entries sorted by key.\n"
)


class _RefusedYAML(yaml.MarkedYAMLError):
    """A YAML feature we refuse (anchors, aliases, duplicate keys, deep nesting)."""


def _refuse_repeated_keys(loader: yaml.constructor.SafeConstructor, node: yaml.MappingNode) -> None:
    """Refuse a mapping that repeats a key; YAML would silently keep the last one."""
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=False)
        if isinstance(key, str | int | float | bool) or key is None:
            if key in seen:
                raise _RefusedYAML(
                    problem=f"the field {key!r} appears twice in the same mapping",
                    problem_mark=key_node.start_mark,
                )
            seen.add(key)


class _SafeLoader(yaml.SafeLoader):
    """SafeLoader without anchors or aliases, duplicate keys or deep nesting."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        """Refuse anchors and aliases before they expand (billion laughs), and deep nesting."""
        # The stubs leave the parser's methods untyped.
        event: Event = self.peek_event()  # type: ignore[no-untyped-call]
        # The pure-Python parser makes yaml.error.Mark; the stubs also allow the C parser's.
        mark = event.start_mark if isinstance(event.start_mark, yaml.error.Mark) else None
        if isinstance(event, AliasEvent) or (
            isinstance(event, NodeEvent) and event.anchor is not None
        ):
            raise _RefusedYAML(
                problem="YAML anchors and aliases (& and *) are not allowed",
                problem_mark=mark,
            )
        nested = isinstance(event, CollectionStartEvent)
        if nested:
            self._depth += 1
            if self._depth > MAX_YAML_DEPTH:
                raise _RefusedYAML(
                    problem=f"nesting deeper than {MAX_YAML_DEPTH} levels is not allowed",
                    problem_mark=mark,
                )
        try:
            return super().compose_node(parent, index)
        finally:
            if nested:
                self._depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Refuse a mapping that repeats a key."""
        _refuse_repeated_keys(self, node)
        return super().construct_mapping(node, deep=deep)


class _NeedsCheckedLoader(Exception):
    """The fast loader met anchors or deep nesting; the checked loader explains the refusal."""


if hasattr(yaml, "CSafeLoader"):

    class _FastLoader(yaml.CSafeLoader):
        """libyaml's C loader, about ten times faster, with the same refusals checked after."""

        check_tree = True

        def get_single_node(self) -> Any:
            """Compose the document in C, then refuse aliases and deep nesting."""
            root = super().get_single_node()
            if self.check_tree:
                _check_tree(root)
            return root

        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
            """Refuse a mapping that repeats a key."""
            data: dict[Any, Any] = super().construct_mapping(node, deep=deep)
            if len(data) < len(node.value):  # only then look for the repeated key
                _refuse_repeated_keys(self, node)
            return data

    class _FastUncheckedLoader(_FastLoader):
        """The fast loader for text in which no anchor or alias can start."""

        check_tree = False

    FAST_LOADER: type[Any] | None = _FastLoader
    FAST_UNCHECKED_LOADER: type[Any] | None = _FastUncheckedLoader
else:  # pragma: no cover - PyYAML built without libyaml
    FAST_LOADER = FAST_UNCHECKED_LOADER = None

_NODE_BEFORE = " \t\r\n[{,"
_NOT_A_NAME = " \t\r\n]},"


def _may_have_anchors(text: str) -> bool:
    """Return whether an anchor (&a) or alias (*a) could start a node somewhere in text.

    Text such as "*.pth" also counts: that only costs the walk over the parsed tree that tells
    them apart. Without any, libyaml's own limit of 1,000 levels bounds the nesting and the
    walk is skipped. str.find keeps this at memchr speed; a regex scan was ten times slower.
    """
    for char in "&*":
        start = text.find(char)
        while start != -1:
            after = text[start + 1 : start + 2]
            if (start == 0 or text[start - 1] in _NODE_BEFORE) and after not in ("", *_NOT_A_NAME):
                return True
            start = text.find(char, start + 1)
    return False


def _check_tree(root: yaml.Node | None) -> None:
    """Raise _NeedsCheckedLoader if a node is reused (an alias) or nests too deep."""
    seen: set[int] = set()
    stack: list[tuple[Any, int]] = [(root, 0)] if root is not None else []
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            raise _NeedsCheckedLoader
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            depth += 1
            stack.extend((child, depth) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            depth += 1
            stack.extend((part, depth) for pair in node.value for part in pair)
        if depth > MAX_YAML_DEPTH:
            raise _NeedsCheckedLoader


class _Dumper(yaml.SafeDumper):
    """SafeDumper that indents lists under their key and writes multi-line text as blocks."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        """Indent block sequences inside mappings, for readability."""
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    """Write multi-line text as a literal block, anything else plain or quoted as needed."""
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _parse(raw: bytes | str, max_bytes: int = MAX_DOCUMENT_BYTES) -> object:
    """Return the parsed YAML of raw, or raise ValidationError naming what is wrong."""
    size = len(raw) if isinstance(raw, bytes) else len(raw.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        limit = max_bytes // (1024 * 1024)
        raise _invalid([f"the document is {size} bytes; the limit is {limit} MB"])
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            byte = raw[error.start]
            raise _invalid(
                [f"the document is not valid UTF-8 (byte 0x{byte:02X} at offset {error.start})"]
            ) from None
    text = raw.removeprefix("\ufeff")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        # A lone surrogate can only come from text built in code; no file can carry one.
        raise _invalid(
            [f"the document has an invalid character (a lone surrogate at offset {error.start})"]
        ) from None
    try:
        # Both loaders are safe loaders: no arbitrary Python objects are built.
        if FAST_LOADER is not None and FAST_UNCHECKED_LOADER is not None:
            fast = FAST_LOADER if _may_have_anchors(text) else FAST_UNCHECKED_LOADER
            try:
                return _load(text, fast)
            except (_NeedsCheckedLoader, yaml.composer.ComposerError):
                pass  # anchors or aliases: the checked loader stops at the first, and says so
            except yaml.scanner.ScannerError as error:
                if "maximum nesting depth" not in str(error.problem):
                    raise
        return _load(text, _SafeLoader)
    except yaml.MarkedYAMLError as error:
        raise _invalid([_describe_yaml_error(error, text)]) from None
    except yaml.YAMLError as error:
        raise _invalid([f"YAML error: {error}"]) from None


# A big document's tree is freed this many children of a long list at a time.
_FREE_STEP = 256


def _load(text: str, loader_class: type[Any]) -> object:
    """Return the parsed YAML of text, as yaml.load does, freeing its node tree in slices."""
    loader = loader_class(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        data = loader.construct_document(root)
        # Dropped whole, the tree of a 20,000-entry document takes a third of a second to free,
        # all in one C call that holds the GIL: see bot/slices.py.
        _free_tree(root, lambda node: node.value if isinstance(node, yaml.CollectionNode) else ())
        return data
    finally:
        loader.dispose()


def _free_tree(root: Any, members: Callable[[Any], Any]) -> None:
    """Empty the long lists of a tree of containers a slice at a time.

    `members(node)` is a node's list of children (or of (key, value) pairs), or () for a leaf.
    """
    stack = [root]
    while stack:
        children = members(stack.pop())
        if len(children) > _FREE_STEP and isinstance(children, list):
            empty(children, step=_FREE_STEP)
            continue
        for child in children:
            stack.extend(child if isinstance(child, tuple) else (child,))


def _members(value: Any) -> Any:
    """Return what a parsed YAML value holds: a list's items, a mapping's values."""
    if isinstance(value, dict):
        return list(value.values())
    return value if isinstance(value, list) else ()


def _describe_yaml_error(error: yaml.MarkedYAMLError, text: str) -> str:
    """Return one line: what is wrong and where, with the line a reader can find in the file."""
    kind = "YAML not allowed" if isinstance(error, _RefusedYAML) else "YAML syntax error"
    what = error.problem or error.context or "invalid YAML"
    if "maximum nesting depth" in what:
        kind, what = "YAML not allowed", f"nesting deeper than {MAX_YAML_DEPTH} levels"
    mark = error.problem_mark or error.context_mark
    if mark is None:
        where = ""
    elif mark.index >= len(text.rstrip()):
        # A mark past the last character would name a line the file does not have.
        where = " at the end of the file"
    else:
        where = f" at line {mark.line + 1}, column {mark.column + 1}"
    started = error.context_mark
    if error.context and started is not None and started is not mark:
        what += f" ({error.context} that starts at line {started.line + 1}, column "
        what += f"{started.column + 1})"
    return f"{kind}{where}: {what}"


def _invalid(problems: list[str]) -> ValidationError:
    """Return a ValidationError whose message names the first problem and counts the rest."""
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return ValidationError(f"Invalid glossary document: {problems[0]}{more}", problems=problems)


Progress = Callable[[str, int], None]


def load_document(
    raw: bytes | str, *, max_bytes: int = MAX_DOCUMENT_BYTES, progress: Progress | None = None
) -> list[Entry]:
    """Return the entries of a YAML glossary document, or raise ValidationError listing problems.

    `progress(stage, count)` hears "parsed" once, then "validated" as entries are checked.
    """
    data = _parse(raw, max_bytes)
    try:
        return _entries(data, progress)
    finally:
        _free_tree(data, _members)


def _entries(data: object, progress: Progress | None) -> list[Entry]:
    """Return the entries of a parsed document, or raise ValidationError listing problems."""
    count = (
        len(data["entries"])
        if isinstance(data, dict) and isinstance(data.get("entries"), list)
        else 0
    )
    if progress:
        progress("parsed", count)
    problems = validate_document(data, progress=progress)
    if problems:
        raise _invalid(problems)
    assert isinstance(data, dict)  # validate_document guarantees the shape
    # The document's own date (the seed's "Last update") becomes each entry's updated_at;
    # only seeding keeps it, an import stamps its own time.
    updated = document_date(data.get("updated"))
    stamp = f"{updated.isoformat()}T00:00:00+00:00" if updated else None
    return [codec.entry_from_dict(item, updated_at=stamp) for item in data["entries"]]


def pyyaml_text(data: object) -> str:
    """Return data as PyYAML's emitter writes it in the canonical style."""
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1_000_000,
        indent=2,
    )


def dump_document(entries: Iterable[Entry], *, updated: datetime.date | None = None) -> str:
    """Return the canonical YAML text of entries: fixed header, sorted by key, deterministic."""
    document: dict[str, Any] = {"version": DOCUMENT_VERSION}
    if updated is not None:
        document["updated"] = updated
    items = [codec.entry_to_dict(entry) for entry in sorted(entries, key=lambda e: e.key)]
    if not items:
        return HEADER + pyyaml_text({**document, "entries": []})
    parts = [HEADER, pyyaml_text(document), "entries:\n"]
    for number, item in enumerate(items, 1):
        text = yamlemit.block_item(item, 2)
        if text is None:
            # An item's text does not depend on its neighbours: PyYAML can write it alone.
            text = pyyaml_text({"entries": [item]}).removeprefix("entries:\n")
            if number < len(items):
                # Text ending in line breaks ("|+") leaves a document open, which PyYAML
                # marks with a "..." line, but only where the whole document ends.
                text = text.removesuffix("...\n")
        parts.append(text)
    return "".join(parts)


def default_seed_path() -> Path:
    """Return data/glossary.yaml from the source checkout, else from the installed package."""
    checkout = Path(__file__).resolve().parents[2] / "data" / "glossary.yaml"
    if checkout.exists():
        return checkout
    return Path(str(importlib.resources.files("bot.seed") / "glossary.yaml"))


def load_seed(path: Path | None = None) -> list[Entry]:
    """Return the entries of the seed file (the shipped one unless path is given)."""
    path = path or default_seed_path()
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise GlossaryError(f"Cannot read glossary file {path}: {error.strerror}") from None
    try:
        return load_document(raw)
    except ValidationError as error:
        raise ValidationError(f"{path}: {error.message}", problems=error.problems) from None
