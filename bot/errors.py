"""Errors of the domain carry a stable `code`: adapters map it to an HTTP status, pages to a French
sentence; the message stays English, for logs and the JSON API."""

from __future__ import annotations


class CodedError(Exception):
    """A request the domain refuses. `code` says which rule (stable, for translations); the message
    says why, in English."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
