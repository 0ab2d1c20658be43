"""Shared test fixtures: paths to the bundled example and to ../shared/data."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SHARED_DATA = ROOT.parent / "shared" / "data"
PABULIB = SHARED_DATA / "pabulib"
ORLIB = SHARED_DATA / "orlib"

#: In CI (.ci/run sets it) a missing service is a failure, not a skip.
REQUIRE_SERVICES = os.environ.get("SELECTOR_REQUIRE_SERVICES") == "1"


def need_service(available: bool, what: str) -> None:
    """Skip (locally) or fail (in CI) when a service the test needs is missing."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required in CI but not available")
    pytest.skip(f"{what} not available")


@pytest.fixture(scope="session")
def pabulib_dir() -> Path:
    need_service(PABULIB.is_dir(), f"shared Pabulib data at {PABULIB}")
    return PABULIB


@pytest.fixture(scope="session")
def orlib_dir() -> Path:
    need_service(ORLIB.is_dir(), f"shared OR-Library data at {ORLIB}")
    return ORLIB


@pytest.fixture(scope="session")
def pg_url() -> str:
    url = os.environ.get("SELECTOR_PG_URL", "")
    need_service(bool(url), "PostgreSQL (SELECTOR_PG_URL)")
    return url


@pytest.fixture(scope="session")
def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser") or ""
    need_service(bool(path), "headless Chromium")
    return path
