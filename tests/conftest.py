"""Shared test settings: a private clip cache per test session, nothing written to the user's home; with
`-m "not slow"`, modules marked slow as a whole are not even imported (their imports alone take seconds)."""

import re
from pathlib import Path

import pytest

SLOW_MODULE = re.compile(r"^pytestmark = .*pytest\.mark\.slow", re.MULTILINE)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if config.getoption("markexpr") != "not slow" or collection_path.suffix != ".py" or not collection_path.name.startswith("test_"):
        return None
    return True if SLOW_MODULE.search(collection_path.read_text(encoding="utf-8")) else None


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("CASCADE_CACHE_DIR", str(tmp_path_factory.mktemp("clip-cache")))
    mp.setenv("HF_HUB_OFFLINE", "1")
    yield
    mp.undo()
