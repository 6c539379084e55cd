"""Errors a user can fix. The CLI prints their message on one line and exits 2."""


class QAError(Exception):
    """An expected, user-fixable problem; the message says how to fix it."""


class StaleIndexError(QAError):
    """The index no longer matches the corpus, model or settings it is asked to serve."""


class MissingIndexError(QAError):
    """No index has been built in the directory yet."""


class NotFoundError(QAError):
    """What was asked for does not exist: a document, or a page it does not have (HTTP 404)."""
