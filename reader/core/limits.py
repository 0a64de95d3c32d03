"""Limits for fetching and parsing feeds, in one place, with units in their names.

`config.py` may override some per user; these are the defaults and the hard caps.
"""

from __future__ import annotations

from reader import __version__

# One deadline for a whole source fetch: connecting, every redirect hop and the
# full body. A server that drips a byte a second is cut here, not after minutes.
FEED_DEADLINE_S = 30.0
# Connecting is usually quick; waiting most of the deadline for a dead host
# would only delay the error message.
CONNECT_TIMEOUT_S = 10.0

# Cap on the body after decompression (a small gzip or brotli bomb inflates to
# gigabytes). The largest real feeds, podcast archives, stay well under this.
MAX_BODY_BYTES = 20 * 1024 * 1024
# Each decompression step produces at most this much at once, so a bomb never
# holds more than about this plus the body cap in memory.
DECOMPRESS_CHUNK_BYTES = 64 * 1024

MAX_REDIRECTS = 10

# Entries read from one feed, in feed order (newest first in practice): the
# largest podcast archives have a few thousand, a hostile feed millions.
MAX_FEED_ENTRIES = 2000

# Servers may ask to be left alone (Retry-After) or say their answer stays
# fresh (Cache-Control: max-age); both are honoured up to these caps so that
# one header cannot silence a source for weeks.
RETRY_AFTER_CAP_S = 6 * 3600
MAX_AGE_CAP_S = 6 * 3600

# How often a source is refreshed unless its settings say otherwise.
DEFAULT_INTERVAL_S = 3600
MIN_INTERVAL_S = 300

# Feeds fetched at the same time, and the connection pool that serves them. Most of a
# fetch is waiting for a server, so more than the cores: at 50 ms a response, 200 sources
# take 13 rounds (0.65 s) of waiting at 16, against 25 (1.25 s) at 8.
MAX_CONCURRENT_FETCHES = 16
MAX_CONNECTIONS = 2 * MAX_CONCURRENT_FETCHES
MAX_KEEPALIVE_CONNECTIONS = MAX_CONCURRENT_FETCHES
KEEPALIVE_EXPIRY_S = 30.0

USER_AGENT = f"reader/{__version__} (+terminal newsletter reader)"
ACCEPT = (
    "application/atom+xml, application/rss+xml, application/feed+json, "
    "application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.9, "
    "application/json;q=0.8, text/html;q=0.5, */*;q=0.1"
)

# --- saved articles (articles.py) ---------------------------------------------

# One deadline for fetching one item's page, redirects and body included.
ARTICLE_DEADLINE_S = 20.0
# Cap on one page after decompression: real article pages stay well under it.
MAX_ARTICLE_BYTES = 5 * 1024 * 1024
# Pages downloaded at once, and threads extracting articles from them.
MAX_CONCURRENT_ARTICLE_FETCHES = 4
ARTICLE_EXTRACT_WORKERS = 2
ARTICLE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
# Less text than this (letters and digits) is a page without an article: a login wall,
# a cookie notice, a menu. About one sentence in English, two lines of Chinese.
MIN_ARTICLE_CHARS = 40
