"""tweetwatch: a live terminal monitor for social streams."""

__version__ = "0.1.0"
