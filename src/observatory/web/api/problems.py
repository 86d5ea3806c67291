"""Problem details (RFC 9457): the model every 4xx of the API is described by in the OpenAPI document."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class Problem(BaseModel):
    """RFC 9457 problem details, as every 4xx/5xx of the API is sent (``application/problem+json``)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    param: str | None = None
    allowed: str | None = None
    suggestions: list[dict[str, str]] | None = None


PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: {
        "model": Problem,
        "description": "A parameter cannot be used (or the query string is longer than "
        "40,000 bytes); `allowed` says what it accepts",
    },
    404: {"model": Problem, "description": "No such indicator, area, area type, theme, period or release"},
}
