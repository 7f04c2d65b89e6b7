"""The one exception that services raise when a request cannot be carried out.

Interfaces map it to their own shape: a form error or message on a page, the error object of the
API (`pingjia.api.errors`), a non-zero exit of a command. `code` is stable and machine-readable;
`message` is for people and already translated.
"""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    status = 400

    def __init__(self, message: str, *, code: str = "invalid", details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details


class ConflictError(ApplicationError):
    """The request is valid but the object's current state does not allow it."""

    status = 409

    def __init__(self, message: str, *, code: str = "conflict", details: Any = None) -> None:
        super().__init__(message, code=code, details=details)
