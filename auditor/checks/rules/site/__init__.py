"""Rules of the site family: what only a crawled page shows (entries read by auditor/sources/site.py)."""
