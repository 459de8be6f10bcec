"""ARCHITECTURE section 3's dependency rules, read from the imports (ast)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support import ROOT

SRC = ROOT / "src" / "omnichannel"
ADAPTERS = ROOT / "adapters"


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def test_adapters_import_only_the_channel_api_and_their_own_package() -> None:
    bad = []
    for path in _files(ADAPTERS):
        own = "omnichannel.adapters." + path.relative_to(ADAPTERS).parts[0]
        for mod in imports(path):
            if mod.startswith("omnichannel") and not (
                mod == "omnichannel.channel" or mod.startswith(own)
                or mod.startswith("omnichannel.i18n")  # a leaf: catalogs and formatting
            ):
                bad.append(f"{path.relative_to(ROOT)} imports {mod}")
    assert bad == []


def test_agent_never_imports_channels_aiohttp_or_the_store() -> None:
    allowed = ("omnichannel.agent", "omnichannel.conversation", "omnichannel.commerce",
               "omnichannel.i18n", "omnichannel.knowledge")
    bad = []
    for path in _files(SRC / "agent"):
        for mod in imports(path):
            if mod.split(".")[0] in ("aiohttp", "sqlite3", "sqlite_utils"):
                bad.append(f"{path.relative_to(ROOT)} imports {mod}")
            elif mod.startswith("omnichannel") and not mod.startswith(allowed):
                bad.append(f"{path.relative_to(ROOT)} imports {mod}")
    assert bad == []


# The demo shop stands in for an external commerce system and owns its own database file.
SQL_ALLOWED = (SRC / "store", SRC / "commerce" / "demo")


def test_only_the_store_speaks_sql() -> None:
    bad = []
    for path in _files(SRC) + _files(ADAPTERS):
        if any(folder in path.parents for folder in SQL_ALLOWED):
            continue
        mods = imports(path)
        if {"sqlite3", "sqlite_utils"} & {m.split(".")[0] for m in mods}:
            bad.append(f"{path.relative_to(ROOT)} imports a SQL driver")
        text = path.read_text()
        for keyword in ("SELECT ", "INSERT ", "UPDATE ", "DELETE FROM"):
            if f'"{keyword}' in text or f"'{keyword}" in text:
                bad.append(f"{path.relative_to(ROOT)} builds SQL ({keyword.strip()})")
    assert bad == []


def test_i18n_is_a_leaf() -> None:
    """Languages and catalogs are used by every floor, so they import none of them."""
    bad = [f"{path.relative_to(ROOT)} imports {mod}" for path in _files(SRC / "i18n")
           for mod in imports(path) if mod.startswith("omnichannel")
           and not mod.startswith("omnichannel.i18n")]
    assert bad == []


def test_channel_and_conversation_stay_free_of_gateway_internals() -> None:
    for name in ("channel.py", "conversation.py"):
        mods = {m for m in imports(SRC / name) if m.startswith("omnichannel")}
        assert mods <= {"omnichannel.conversation"}, (name, mods)


def test_only_the_router_knows_both_the_agent_and_the_channels() -> None:
    both = []
    for path in _files(SRC):
        if (SRC / "agent") in path.parents or (SRC / "store") in path.parents:
            continue
        mods = imports(path)
        uses_agent = any(m.startswith("omnichannel.agent") for m in mods)
        uses_adapters = any(m.startswith("omnichannel.adapters") for m in mods)
        if uses_agent and uses_adapters:
            both.append(str(path.relative_to(ROOT)))
    assert both == []


def test_every_package_directory_is_listed_in_pyproject() -> None:
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"])
    found = {
        "omnichannel." + ".".join(p.parent.relative_to(SRC).parts) if p.parent != SRC
        else "omnichannel"
        for p in SRC.rglob("__init__.py")
    } | {
        "omnichannel.adapters" + "".join(f".{x}" for x in p.parent.relative_to(ADAPTERS).parts)
        for p in ADAPTERS.rglob("__init__.py")
    }
    assert found == listed
