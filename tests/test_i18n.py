"""Languages: every shopper-facing string comes from a catalog, and every catalog is complete.

The check reads the code (ast): in the modules that write to shoppers, a string literal that
reads as words (two words or more, letters) must be the argument of a domain's translator
(`_ = translator("orders")`, `ngettext = plural_translator(...)`), unless it is a docstring,
a log message, a regular expression, or staff-facing (listed below with the reason).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import omnichannel.i18n as i18n
from tests.support import ROOT

SRC = ROOT / "src" / "omnichannel"
ADAPTERS = ROOT / "adapters"
# The modules whose strings reach shoppers.
SHOPPER_FACING = [
    SRC / "router.py", SRC / "hours.py",
    *(SRC / "agent" / f"{m}.py" for m in (
        "builtin", "answers", "catalog", "orders", "ordertext", "orderrefs", "tools",
        "writechecks", "llm", "voice", "money")),
    ADAPTERS / "webchat" / "labels.py",
]
# Two words or more with a capital or sentence punctuation: shopper text, not a keyword list.
WORDS = re.compile(r"[^\W\d_]{2,}\s+[^\W\d_]{2,}")
SENTENCE = re.compile(r"[A-Z]|[.?!:;]")
TRANSLATORS = {"translator", "plural_translator"}
_LOG = {"debug", "info", "warning", "error", "exception", "critical"}


def _domains(tree: ast.AST) -> dict[str, str]:
    """Translator function names bound in a module -> their domain."""
    return {name: domain for name, (domain, _plural) in _translators(tree).items()}


def _translators(tree: ast.AST) -> dict[str, tuple[str, bool]]:
    """Translator function names bound in a module -> (domain, is it the plural one)."""
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            fn = node.value.func
            name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
            if name in TRANSLATORS and node.value.args and isinstance(
                    node.value.args[0], ast.Constant):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        out[target.id] = (str(node.value.args[0].value),
                                          name == "plural_translator")
    return out


def _call_name(node: ast.Call) -> str:
    fn = node.func
    return fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")


def messages(path: Path) -> list[tuple[str, str]]:
    """(domain, msgid) of every translated literal in a module."""
    tree = ast.parse(path.read_text("utf-8"))
    found = _translators(tree)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _call_name(node) in found:
            domain, _plural = found[_call_name(node)]
            arg = node.args[0] if node.args else None  # a plural entry is keyed by its singular
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                out.append((domain, arg.value))
    return out


def _exempt_nodes(tree: ast.AST, domains: dict[str, str]) -> set[int]:
    """Literals that are not shopper text: docstrings, translator arguments, log calls,
    regexes, dict keys and comparisons (values the code matches against)."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(
                body[0].value, ast.Constant):
            skip.add(id(body[0].value))
        if isinstance(node, ast.Call):
            name = _call_name(node)
            fn = node.func
            owner = fn.value.id if isinstance(fn, ast.Attribute) and isinstance(
                fn.value, ast.Name) else ""
            if name in domains or (name in _LOG and owner in ("log", "logger", "logging")) or (
                    owner == "re") or name in ("compile", "getLogger", "warn"):
                for sub in ast.walk(node):
                    skip.add(id(sub))
        if isinstance(node, ast.Dict):
            for key in node.keys:
                if key is not None:
                    skip.add(id(key))
        if isinstance(node, ast.Compare):
            for sub in ast.walk(node):
                skip.add(id(sub))
    return skip


def literals(path: Path) -> list[tuple[int, str]]:
    """(line, text) of literals that read as words and are not in a catalog."""
    tree = ast.parse(path.read_text("utf-8"))
    domains = _domains(tree)
    skip = _exempt_nodes(tree, domains)
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and WORDS.search(
                node.value) and SENTENCE.search(node.value) and not _code_like(node.value):
            found.append((node.lineno, node.value))
    return found


def _code_like(text: str) -> bool:
    """Regex fragments, SQL, identifiers, format specs: not words for a shopper."""
    return bool(re.search(r"\\[bdswW]|\(\?|\[\^|\|.*\||^\W*$|[a-z]+_[a-z]+_?\w*\b(?! )"
                          r"|^[A-Z0-9 ]+$", text))


# Staff-facing or internal strings in shopper-facing modules, with the reason.
ALLOWED: dict[str, str] = {
    # Staff read these in the console, in the shop's working language.
    ". Last message: ": "the handoff summary for staff",
    "the shop needs a person to check: ": "a held action's reason, for staff",
    "needs staff approval: ": "a held action's reason, for staff",
    # The model reads these (tool results); the output filter keeps them from shoppers.
    "Transfer successful": "the transfer tool's result, for the model",
    "Error: unknown tool ": "a tool error, for the model",
    "the arguments must be a JSON object": "a tool error, for the model",
    "the arguments are not valid JSON (": "a tool error, for the model",
    # Compared against, never shown as such (its words for shoppers: tools.deferred_words).
    "Submitted: a member of our team approves this before it takes effect; it runs as soon "
    "as they do.": "tools.DEFERRED, the marker of a deferred write",
    # The brand's English default, compared with the merchant's own label.
    "Talk to a person": "webchat labels.DEFAULT_PERSON_LABEL, compared with [brand]",
    # Entity display names the code compares with (entities.countries returns them).
    "the United States": "orders.SHIP_TO, compared with entities.countries",
    "Puerto Rico": "orders.SHIP_TO, compared with entities.countries",
}


@pytest.mark.parametrize("path", SHOPPER_FACING, ids=lambda p: p.name)
def test_no_shopper_facing_literal_outside_the_catalogs(path: Path) -> None:
    left = [(line, text) for line, text in literals(path) if text not in ALLOWED
            and not _staff_only(path, text)]
    assert left == [], (f"{path.relative_to(ROOT)}: wrap these in the domain's translator "
                        "(or list them in ALLOWED with the reason):\n" +
                        "\n".join(f"  line {n}: {t!r}" for n, t in left))


def _staff_only(path: Path, text: str) -> bool:
    """Handoff summaries and staff reasons (Handoff(..., summary)) are staff-facing."""
    source = path.read_text("utf-8")
    return bool(re.search(r"Handoff\([^)]*" + re.escape(text[:30]), source, re.S))


def _catalog_ids(lang: str, domain: str) -> dict[str, object]:
    from babel.messages.pofile import read_po

    path = i18n.LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po"
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    return {(m.id[0] if isinstance(m.id, tuple | list) else m.id): m for m in catalog if m.id}


def _code_messages() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for path in sorted(SRC.rglob("*.py")) + sorted(ADAPTERS.rglob("*.py")):
        for domain, msgid in messages(path):
            out.setdefault(domain, set()).add(msgid)
    return out


@pytest.mark.parametrize("lang", [lang for lang in i18n.SHIPPED if lang != i18n.DEFAULT])
def test_every_catalog_is_complete(lang: str) -> None:
    missing = []
    for domain, ids in sorted(_code_messages().items()):
        catalog = _catalog_ids(lang, domain)
        for msgid in sorted(ids):
            m = catalog.get(msgid)
            string = getattr(m, "string", None)
            done = all(string) if isinstance(string, tuple | list) else bool(string)
            if m is None or not done or getattr(m, "fuzzy", False):
                missing.append(f"{domain}: {msgid!r}")
    assert missing == [], f"{lang}: {len(missing)} untranslated:\n" + "\n".join(missing[:40])


def test_placeholders_survive_translation() -> None:
    """A translation keeps exactly the placeholders of its English text ({order_id}, ...)."""
    bad = []
    for lang in i18n.SHIPPED:
        if lang == i18n.DEFAULT:
            continue
        for domain in _code_messages():
            for msgid, m in _catalog_ids(lang, domain).items():
                strings = m.string if isinstance(m.string, tuple | list) else [m.string]  # type: ignore[attr-defined]
                want = set(re.findall(r"\{(\w*)\}", msgid))
                for s in strings:
                    if s and set(re.findall(r"\{(\w*)\}", s)) != want:
                        bad.append(f"{lang}/{domain}: {msgid!r} -> {s!r}")
    assert bad == []


def test_the_turn_language_switches_translations_and_formats() -> None:
    _ = i18n.translator("test-none")
    with i18n.using("de"):
        assert i18n.current() == "de"
        assert _("Hello there") == "Hello there"  # no catalog: the English text
        assert i18n.money(1234.5, "EUR") == "1.234,50\xa0€"
    with i18n.using("es-MX"):
        assert i18n.current() == "es"
    with i18n.using("xx"):
        assert i18n.current() == "en"
    assert i18n.money(1234.5, "USD") == "$1,234.50"
