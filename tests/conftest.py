"""Shared test settings: a private clip cache per test session, nothing written to the user's home."""

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("CASCADE_CACHE_DIR", str(tmp_path_factory.mktemp("clip-cache")))
    mp.setenv("HF_HUB_OFFLINE", "1")
    yield
    mp.undo()
