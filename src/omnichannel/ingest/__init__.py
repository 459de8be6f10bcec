"""Knowledge ingestion from folders, files, zip exports and websites.

`files` reads documents from bytes, `web` crawls a site politely, `sources` keeps one ingested
root (a folder, zip file or site) in step with the store, `parsers` turns a file into
sections (the knowledge model is `omnichannel.knowledge`); SQL stays in `store`.
"""
