"""The knowledge floor, below the store and the agent: what a help-center document is
(`model`), how a question is matched against passages (`ranking`), the per-language stemmer
(`stemming`) and the rule that gives a document its language (`language`). Parsing files
into documents is ingest's; the index itself is SQL in `store/knowledge.py`."""
