"""Errors a request can meet, carrying what a person (or a program) needs to recover."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class NotFound(Exception):
    """An unknown slug or code; ``suggestions`` are (label, url) pairs of likely intended pages."""

    what: str
    suggestions: list[tuple[str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        return self.what


@dataclass
class BadRequest(Exception):
    """A query parameter the page cannot use; ``allowed`` says what it accepts."""

    param: str
    message: str
    allowed: str = ""

    def __str__(self) -> str:
        return f"{self.param}: {self.message}" + (f" (allowed: {self.allowed})" if self.allowed else "")


class UnknownValue(BadRequest):
    """A well-formed value that names nothing in this release (an indicator, area, type, theme or period).

    Answered 404 with what is allowed: the request is valid by the API's description, the thing is absent.
    """
