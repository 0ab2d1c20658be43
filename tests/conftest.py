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


@pytest.fixture(params=["sqlite", "postgresql"])
def reserve_db_url(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A fresh, empty reserve database URL: a SQLite file (always), or a PostgreSQL schema of
    its own on SELECTOR_PG_URL (dropped afterwards), so runs are isolated and re-runnable."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'reserve.sqlite'}"
        return
    import uuid

    import sqlalchemy as sa

    pg_url = request.getfixturevalue("pg_url")
    schema = f"reserve_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.make_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
