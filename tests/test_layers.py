"""Each layer imports only the layers below it: cogs -> services -> storage -> domain."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Top of the stack first. A package may import what sits below it, never what sits above.
DISCORD = ("discord",)
PRESENTATION = ("bot.client", "bot.runner", "bot.render", "bot.command_mentions", "cogs")
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "cogs": ("bot.storage",),
    "bot/services": (*DISCORD, *PRESENTATION),
    "bot/storage": (*DISCORD, *PRESENTATION, "bot.services"),
    "bot/glossary": (
        *DISCORD,
        *PRESENTATION,
        "bot.services",
        "bot.storage",
        "sqlite3",
        "aiosqlite",
    ),
}
# The only modules that speak to Discord.
DISCORD_MODULES = {"bot/client.py", "bot/runner.py", "bot/render.py", "bot/command_mentions.py"}


def imported(path: Path) -> Iterator[tuple[int, str]]:
    """Yield (line, module) for every import in a file, including those inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            # `from bot import storage` names the package in its alias.
            yield node.lineno, node.module
            yield from ((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)


def within(module: str, prefix: str) -> bool:
    """Return whether `module` is `prefix` or lies inside it."""
    return module == prefix or module.startswith(prefix + ".")


def sources(*folders: str) -> list[Path]:
    """Return the Python files below the folders, relative to the project root."""
    return sorted(path for folder in folders for path in (ROOT / folder).rglob("*.py"))


def offences(paths: list[Path], forbidden: Callable[[str], bool]) -> list[str]:
    """Return `path:line imports module` for the first forbidden module of each import line."""
    found: dict[str, str] = {}
    for path in paths:
        for line, module in imported(path):
            if forbidden(module):
                found.setdefault(f"{path.relative_to(ROOT)}:{line}", module)
    return [f"{place} imports {module}" for place, module in found.items()]


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_nothing_above_it(layer: str) -> None:
    bad = offences(
        sources(layer), lambda module: any(within(module, above) for above in FORBIDDEN[layer])
    )
    assert not bad, "\n".join(bad)


def test_only_the_services_reach_the_repository() -> None:
    outside = [
        path
        for path in sources("bot", "cogs")
        if not any(path.is_relative_to(ROOT / folder) for folder in ("bot/services", "bot/storage"))
    ]
    bad = offences(outside, lambda module: within(module, "bot.storage.repository"))
    assert not bad, "\n".join(bad)


def test_only_the_presentation_modules_import_discord() -> None:
    others = [path for path in sources("bot") if str(path.relative_to(ROOT)) not in DISCORD_MODULES]
    bad = offences(others, lambda module: within(module, "discord"))
    assert not bad, "\n".join(bad)


def test_the_walk_sees_local_and_from_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import discord.ui\nfrom bot import storage\n\ndef f():\n    from cogs.ui import x\n"
    )
    found = {module for _, module in imported(sample)}
    assert {"discord.ui", "bot.storage", "cogs.ui", "cogs.ui.x"} <= found
