"""SQL for the knowledge index: SQLite FTS5 ranked by BM25."""

from __future__ import annotations

import re
import sqlite3
import time

from omnichannel.agent.knowledge import Passage, Section, expand, query_terms

# Title and heading words say what a section is about; weigh them above body words.
_WEIGHTS = (6.0, 4.0, 1.0)


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
        "INSERT INTO knowledge (title, heading, body, doc_id, source) VALUES (?, ?, ?, ?, ?)",
        [(title, s.heading, s.body, doc_id, source) for s in sections],
    )
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


def fts_query(text: str) -> str | None:
    """User text as a safe FTS5 query: each term quoted, joined by OR."""
    terms = query_terms(expand(text))
    if not terms:
        return None
    return " OR ".join('"' + re.sub('"', '""', t) + '"' for t in terms)


def search(conn: sqlite3.Connection, text: str, limit: int = 3) -> list[Passage]:
    query = fts_query(text)
    if query is None:
        return []
    rows = conn.execute(
        "SELECT title, heading, body, source, bm25(knowledge, ?, ?, ?) AS rank "
        "FROM knowledge WHERE knowledge MATCH ? ORDER BY rank LIMIT ?",
        (*_WEIGHTS, query, limit),
    ).fetchall()
    return [
        Passage(
            title=r["title"], heading=r["heading"], body=r["body"], source=r["source"],
            score=-float(r["rank"]),
        )
        for r in rows
    ]


def all_passages(conn: sqlite3.Connection) -> list[Passage]:
    rows = conn.execute("SELECT title, heading, body, source FROM knowledge").fetchall()
    return [Passage(r["title"], r["heading"], r["body"], r["source"], 0.0) for r in rows]


def version(conn: sqlite3.Connection) -> str:
    """Changes whenever a document is added, changed or removed."""
    row = conn.execute("SELECT COUNT(*), MAX(ingested_at), "
                       "(SELECT COUNT(*) FROM knowledge) FROM knowledge_docs").fetchone()
    return f"{row[0]}:{row[1]}:{row[2]}"
