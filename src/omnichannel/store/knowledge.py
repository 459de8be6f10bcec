"""SQL for the knowledge index: SQLite FTS5 ranked by BM25, one stemmer per language.

Each section keeps its text as written (unindexed) beside the same text stemmed in Python by
its language's Snowball stemmer (`*_terms`, the indexed columns; FTS5's unicode61 tokenizer
folds case and diacritics). A question is stemmed the same way in the language searched.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import omnichannel.i18n as i18n
from omnichannel.knowledge.model import Passage, Section
from omnichannel.knowledge.ranking import expand, query_terms
from omnichannel.knowledge.stemming import PREFIX, stem, stemmed, variants

if TYPE_CHECKING:
    from omnichannel.store.db import Db

# Title and heading words say what a section is about; weigh them above body words. One
# weight per column: title, heading, body, doc_id, source, language (unindexed), then the
# indexed title, heading and body terms.
_WEIGHTS = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 6.0, 4.0, 1.0)
COLUMNS = ("title UNINDEXED, heading UNINDEXED, body UNINDEXED, doc_id UNINDEXED, "
           "source UNINDEXED, language UNINDEXED, title_terms, heading_terms, body_terms")
TOKENIZER = "unicode61 remove_diacritics 2"
_INSERT = ("INSERT INTO knowledge (title, heading, body, doc_id, source, language, title_terms, "
           "heading_terms, body_terms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")


def section_row(title: str, heading: str, body: str, doc_id: int, source: str,
                language: str) -> tuple[object, ...]:
    """One row of the index: the text as written, then stemmed in its language."""
    lang = i18n.normalize(language) or i18n.DEFAULT
    return (title, heading, body, doc_id, source, lang, stemmed(title, lang),
            stemmed(heading, lang), stemmed(body, lang))


def replace_document(
    conn: sqlite3.Connection,
    source: str,
    title: str,
    sha256: str,
    sections: list[Section],
    root: str | None = None,
    fetched_at: float | None = None,
) -> bool:
    """Index one document, replacing an earlier version. False when it is unchanged.

    `root` (kept when None) ties the document to what was ingested, so a later sync of that
    root can remove documents that are gone; `fetched_at` records when it was read.
    """
    now = time.time()
    fetched = now if fetched_at is None else fetched_at
    row = conn.execute(
        "SELECT id, sha256 FROM knowledge_docs WHERE source = ?", (source,)
    ).fetchone()
    if row is not None and row["sha256"] == sha256:
        conn.execute(
            "UPDATE knowledge_docs SET root = COALESCE(?, root), fetched_at = ? WHERE id = ?",
            (root, fetched, row["id"]),
        )
        return False
    if row is not None:
        conn.execute("DELETE FROM knowledge WHERE doc_id = ?", (row["id"],))
        conn.execute(
            "UPDATE knowledge_docs SET title = ?, sha256 = ?, ingested_at = ?, "
            "root = COALESCE(?, root), fetched_at = ? WHERE id = ?",
            (title, sha256, now, root, fetched, row["id"]),
        )
        doc_id = row["id"]
    else:
        doc_id = conn.execute(
            "INSERT INTO knowledge_docs (source, title, sha256, ingested_at, root, fetched_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (source, title, sha256, now, root, fetched),
        ).lastrowid
    conn.executemany(
        _INSERT, [section_row(title, s.heading, s.body, doc_id, source, s.language)
                  for s in sections])
    return True


def documents_for_root(conn: sqlite3.Connection, root: str) -> list[str]:
    """Sources of the documents last ingested under `root`."""
    rows = conn.execute(
        "SELECT source FROM knowledge_docs WHERE root = ? ORDER BY source", (root,)
    ).fetchall()
    return [r["source"] for r in rows]


def remove_document(conn: sqlite3.Connection, source: str) -> bool:
    """Drop a document and its indexed sections. False when there was none."""
    row = conn.execute("SELECT id FROM knowledge_docs WHERE source = ?", (source,)).fetchone()
    if row is None:
        return False
    conn.execute("DELETE FROM knowledge WHERE doc_id = ?", (row["id"],))
    conn.execute("DELETE FROM knowledge_docs WHERE id = ?", (row["id"],))
    return True


def document_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM knowledge_docs").fetchone()[0])


def _quoted(term: str) -> str:
    return '"' + re.sub('"', '""', term) + '"'


def fts_query(text: str, language: str | None = None) -> str | None:
    """User text as a safe FTS5 query: each term's stem quoted, joined by OR; a long stem
    also by its first letters as a prefix ("devol"* finds devolver and devoluciones).
    Without a language, the stems of every shipped language are searched."""
    langs = [language] if language else list(i18n.SHIPPED)
    found: dict[str, None] = {}
    for lang in langs:
        for term in query_terms(expand(text), lang):
            for word in (v for w in re.findall(r"\w+", term) for v in variants(w, lang)):
                root = stem(word, lang)
                found.setdefault(_quoted(root), None)
                if language and lang != "en" and len(root) > PREFIX:
                    found.setdefault(_quoted(root[:PREFIX]) + "*", None)
    if not found:
        return None
    return " OR ".join(list(found)[:64])


def search(conn: sqlite3.Connection, text: str, limit: int = 3,
           language: str | None = None) -> list[Passage]:
    """The best sections for `text`: in `language` only, or in any when it is None."""
    query = fts_query(text, language)
    if query is None:
        return []
    where = " AND language = ?" if language else ""
    rows = conn.execute(
        f"SELECT title, heading, body, source, language, bm25(knowledge, {', '.join('?' * 9)}) "
        f"AS rank FROM knowledge WHERE knowledge MATCH ?{where} ORDER BY rank LIMIT ?",
        (*_WEIGHTS, query, *([language] if language else []), limit),
    ).fetchall()
    return [
        Passage(
            title=r["title"], heading=r["heading"], body=r["body"], source=r["source"],
            score=-float(r["rank"]), language=r["language"],
        )
        for r in rows
    ]


def all_passages(conn: sqlite3.Connection, language: str | None = None) -> list[Passage]:
    where, args = (" WHERE language = ?", (language,)) if language else ("", ())
    rows = conn.execute(
        f"SELECT title, heading, body, source, language FROM knowledge{where}", args).fetchall()
    return [Passage(r["title"], r["heading"], r["body"], r["source"], 0.0, r["language"])
            for r in rows]


def languages(conn: sqlite3.Connection) -> list[str]:
    """The languages the index holds sections in."""
    rows = conn.execute("SELECT DISTINCT language FROM knowledge ORDER BY language").fetchall()
    return [r[0] for r in rows]


def reindex(conn: sqlite3.Connection, language_of: Callable[[str, str], str]) -> None:
    """Rebuild the index table in the current layout from whatever layout it has, each
    document's sections stemmed in `language_of(source, its text)`."""
    rows = conn.execute("SELECT title, heading, body, doc_id, source FROM knowledge").fetchall()
    texts: dict[int, list[str]] = {}
    for r in rows:
        texts.setdefault(r[3], [r[0]]).append(f"{r[1]} {r[2]}")
    langs = {doc: language_of(next(r[4] for r in rows if r[3] == doc), " ".join(parts))
             for doc, parts in texts.items()}
    conn.execute("DROP TABLE knowledge")
    conn.execute(f"CREATE VIRTUAL TABLE knowledge USING fts5({COLUMNS}, tokenize='{TOKENIZER}')")
    conn.executemany(_INSERT, [section_row(r[0], r[1], r[2], r[3], r[4], langs[r[3]])
                               for r in rows])


def version(conn: sqlite3.Connection) -> str:
    """Changes whenever a document is added, changed or removed."""
    row = conn.execute("SELECT COUNT(*), MAX(ingested_at), "
                       "(SELECT COUNT(*) FROM knowledge) FROM knowledge_docs").fetchone()
    return f"{row[0]}:{row[1]}:{row[2]}"


@dataclass(frozen=True, slots=True)
class KnowledgeIndex:
    """The index searched in one language at a time (retrieval.Multilingual asks for the
    shopper's first, then the shop's)."""

    db: Db

    async def search(self, text: str, limit: int = 3,
                     language: str | None = None) -> list[Passage]:
        return await self.db.read(search, text, limit, language)

    async def all_passages(self, language: str | None = None) -> list[Passage]:
        return await self.db.read(all_passages, language)

    async def knowledge_version(self) -> str:
        return await self.db.read(version)
