"""schemathesis against the API's own OpenAPI document, over the real data, in-process (ASGI).

Every operation gets a bounded number of generated requests — valid ones and deliberately invalid ones —
and every answer must pass **every** check schemathesis has (``CHECKS.get_all()``: not a 5xx, documented
status code, content type and headers, body conforming to the schema, invalid input refused with a 4xx,
valid input accepted, unsupported methods answered 405 with a correct ``Allow``, …): 0 failures of any kind.

The OpenAPI document does not depend on the data, so the schema is loaded at import from an app over an
empty store; the module fixture then points that app at the full build before any request is made.
(``schemathesis.pytest.from_fixture`` would be the natural tool, but schemathesis 4.32 reaches into a
pytest-internal attribute that pytest 9 no longer has.)
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS as REGISTRY
from schemathesis.checks import load_all_checks

from observatory.config import Config, load_config
from observatory.pipeline.build import BuildReport
from observatory.store import Store
from observatory.web import api
from observatory.web.app import create_app
from observatory.web.releases import ReleasePool
from tests.conftest import CONFIG_PATH

pytestmark = pytest.mark.slow
load_all_checks()
CHECKS = list(REGISTRY.get_all())  # all of them, as `schemathesis run --checks all`

APP = create_app(Store(Path(tempfile.gettempdir()) / "observatory-no-store"), load_config(CONFIG_PATH))
api.install(APP)
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", APP)  # modes: positive and negative


@pytest.fixture(scope="module")
def real_data(full_build: tuple[Store, BuildReport], config: Config) -> Iterator[None]:
    store, _ = full_build
    APP.state.pool = ReleasePool(store, config)
    yield
    APP.state.pool.close()
    api.CACHE.clear()


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
)
def test_api_conforms_to_its_openapi(case: Any, real_data: None) -> None:
    case.call_and_validate(checks=CHECKS, timeout=120)  # the first bulk-file request writes the file
