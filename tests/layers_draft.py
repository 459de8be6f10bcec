"""DRAFT (issue 15 item 7), not collected: ARCHITECTURE section 3 as one list of layers. It
replaces test_architecture.py once the upper floors are moved; today it lists what is left."""

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


CHANNEL_SIDE = ("omnichannel.channel", "omnichannel.registry", "omnichannel.adapters")


def both_sides(src: Path) -> list[str]:
    """Modules up to the router's layer that import the agent and the channel side at once:
    only the router may (the gateway and the entry points above it assemble both)."""
    found = []
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(src)
        room = rel.parts[0].removesuffix(".py")
        layer = _layer(room)
        if room in ("agent", "router") or layer is None or layer > _layer("router"):
            continue
        mods = imports(path)
        if any(m.startswith("omnichannel.agent") for m in mods) and any(
                m.startswith(CHANNEL_SIDE) for m in mods):
            found.append(str(rel))
    return found


def test_only_the_router_knows_both_the_agent_and_the_channels() -> None:
    assert both_sides(SRC) == []


def test_the_both_sides_rule_catches_a_planted_violation(tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "omnichannel"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("__pycache__", "*.po", "*.md",
                                                             "*.txt", "static"))
    before = set(both_sides(copy))
    outbox = copy / "outbox.py"  # it knows the channel side; plant the agent beside it
    outbox.write_text(outbox.read_text() + "\nfrom omnichannel.agent import Turn  # planted\n")
    assert set(both_sides(copy)) - before == {"outbox.py"}


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


# ARCHITECTURE section 3, lowest first. A module imports only from its own layer or below;
# the pairs in SAME_LAYER_FORBIDDEN share a layer but must not know each other.
LAYERS: tuple[tuple[str, ...], ...] = (
    # leaves and the typed config every floor reads
    ("conversation", "i18n", "faults", "logs", "chunking", "config", "hours", "channel",
     "registry", "supervisor", "helpcenter"),
    ("knowledge", "commerce"),
    ("store", "agent"),
    ("outbox", "router"),
    ("staff", "analytics", "ingest", "datacare"),
    ("gateway",),
    ("app", "ops", "console"),
    ("cli", "__main__"),
)
SAME_LAYER_FORBIDDEN = {("store", "agent"), ("agent", "store")}


def _room(module: str) -> str | None:
    """'omnichannel.store.outbox' -> 'store'; None for what is not ours (or an adapter)."""
    parts = module.split(".")
    if parts[0] != "omnichannel" or len(parts) < 2 or parts[1] == "adapters":
        return None
    return parts[1]


def _layer(room: str) -> int | None:
    return next((i for i, rooms in enumerate(LAYERS) if room in rooms), None)


def layer_violations(src: Path) -> list[str]:
    """Every import of `src` (a tree shaped like src/omnichannel) that goes up a layer, leaves
    the list, or crosses a forbidden pair in one layer."""
    bad = []
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(src)
        here = rel.parts[0].removesuffix(".py") if len(rel.parts) > 1 or rel.name != \
            "__init__.py" else None
        if here is None:
            continue  # omnichannel/__init__.py
        mine = _layer(here)
        if mine is None:
            bad.append(f"{rel}: room {here!r} is in no layer (add it to LAYERS)")
            continue
        for mod in imports(path):
            room = _room(mod)
            if room is None or room == here:
                continue
            theirs = _layer(room)
            if theirs is None:
                bad.append(f"{rel} imports {mod}: room {room!r} is in no layer")
            elif theirs > mine:
                bad.append(f"{rel} ({here}) imports {mod} ({room}), a higher layer")
            elif (here, room) in SAME_LAYER_FORBIDDEN:
                bad.append(f"{rel} ({here}) imports {mod} ({room}): they must not know "
                           "each other")
    return bad


def test_every_import_goes_down_the_layers() -> None:
    assert layer_violations(SRC) == []


def test_the_layer_check_catches_a_planted_violation(tmp_path: Path) -> None:
    """The rule can fail: a copy of the tree with one upward import (the store reaching for
    the router) and one sideways one (the agent reaching for the store) is refused."""
    import shutil

    copy = tmp_path / "omnichannel"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("__pycache__", "*.po", "*.md",
                                                             "*.txt", "static"))
    before = set(layer_violations(copy))
    (copy / "store" / "planted.py").write_text("from omnichannel.router import Router\n")
    (copy / "agent" / "planted.py").write_text("import omnichannel.store.db\n")
    (copy / "newroom.py").write_text("x = 1\n")
    found = set(layer_violations(copy)) - before
    assert any("store/planted.py (store) imports omnichannel.router" in f for f in found)
    assert any("agent/planted.py (agent) imports omnichannel.store.db" in f for f in found)
    assert any("newroom.py: room 'newroom' is in no layer" in f for f in found)
    assert len(found) == 3


def test_nothing_but_the_entry_points_imports_the_app_module() -> None:
    bad = [f"{p.relative_to(ROOT)}" for p in _files(SRC)
           if _room(".".join(("omnichannel",) + p.relative_to(SRC).with_suffix("").parts))
           not in ("app", "ops", "cli", "__main__")
           and any(m == "omnichannel.app" or m.startswith("omnichannel.app.")
                   for m in imports(p))]
    assert bad == []
