"""Issue 11, item 9: the dependency audit checks something or says it did not.

The advisory service is the true network boundary: the "unreachable" case is made real by pointing
pip-audit's HTTP client at a closed loopback port through the standard proxy variables.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "audit.py"


def _audit() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_snapshot_flags_a_vulnerable_setuptools_and_passes_the_installed_environment() -> None:
    audit = _audit()
    found, applicable, _date = audit.offline({"setuptools": "65.5.0", "jinja2": "3.1.6"})
    assert applicable == 4
    assert any("CVE-2025-47273" in f for f in found) and any("CVE-2024-6345" in f for f in found)
    assert not any(f.startswith("jinja2") for f in found)
    installed = audit.installed()
    assert "setuptools" in installed  # the venv's own setuptools is audited, not only the runtime pins
    assert audit.offline(installed)[0] == []


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_an_unreachable_advisory_service_is_reported_as_not_checked() -> None:
    proxy = f"http://127.0.0.1:{_closed_port()}"
    env = {**os.environ, "HTTPS_PROXY": proxy, "HTTP_PROXY": proxy, "https_proxy": proxy, "http_proxy": proxy,
           "NO_PROXY": "", "no_proxy": ""}  # fmt: skip
    done = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "advisory database unreachable: not checked" in done.stdout
    assert "no known vulnerabilities" not in done.stdout.lower()
    assert "0 affected" in done.stdout  # the offline snapshot was checked, and says so
    ok = subprocess.run([sys.executable, str(SCRIPT), "--offline-ok"], capture_output=True, text=True, env=env,
                        timeout=600)  # fmt: skip
    assert ok.returncode == 0 and "not checked" in ok.stdout
