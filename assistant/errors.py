"""Errors a user can meet, each with a plain-words message and a CLI exit code.

Everything the CLI, the page or the API shows a person goes through these, so no traceback
ever reaches them.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base of every error whose message is meant for the user."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidSetting(AssistantError):
    """A setting or command-line flag has a value that cannot work."""

    exit_code = 2


class InvalidQuestion(AssistantError):
    """The question is empty, too long, or contains control characters."""

    exit_code = 2


class IndexMissing(AssistantError):
    """No index has been built yet at the configured location."""

    exit_code = 3


class IndexMismatch(AssistantError):
    """The index was built with another embedder or an incompatible layout."""

    exit_code = 3


class IngestBusy(AssistantError):
    """Another ingest holds the index lock."""

    exit_code = 4


class EmptyCorpus(AssistantError):
    """An ingest would empty a non-empty index; it needs to be asked for."""

    exit_code = 1


class IndexDamaged(IndexMissing):
    """Files of the current snapshot are missing or truncated."""


class PortInUse(AssistantError):
    """``serve`` cannot listen where it was told to."""

    exit_code = 5


class DocumentError(AssistantError):
    """A document could not be read; ingest reports it and goes on with the rest."""

    def __init__(self, doc_id: str, reason: str) -> None:
        super().__init__(f"{doc_id}: {reason}")
        self.doc_id = doc_id
        self.reason = reason
