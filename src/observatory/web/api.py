"""The open data API, /api/v1 (issue 4): the same data functions as the pages, as JSON, CSV and more."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1")
