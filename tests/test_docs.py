"""The README and docs/ say what the code does: the README stays short, its test command is CI's, the counts agree
with the code, links resolve, and the snippets run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cascade.generators.sounds import SOUNDS
from cascade.taxonomy import CLASSES, TEXTURE

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PAGES = {p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8") for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]}


def code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.DOTALL)


def test_the_readme_is_short_and_names_every_page():
    assert len(README.splitlines()) < 250
    for page in ("performance", "backends", "scene-format", "rooms", "dataset", "end-to-end", "mixing", "guarantees", "contributing"):
        assert f"(docs/{page}.md" in README and f"({page}.md)" in PAGES["docs/README.md"]


def test_ci_runs_the_readme_test_command():
    commands = [block.strip() for block in code_blocks(README, "bash") if "setup.sh test" in block]
    assert len(commands) == 1
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith(("#", "set ", "cd "))]
    assert ci == [commands[0]]


def test_the_counts_agree_with_the_code():
    modelled = [c for c in CLASSES if c.synth != TEXTURE]
    models = [name for name in SOUNDS if name != TEXTURE]
    said = "\n".join(PAGES.values())
    assert re.findall(r"\b(\d+) (?:sound )?classes every stage", said) == [str(len(CLASSES))]
    assert set(re.findall(r"\b(\d+) signal models", said)) == {str(len(models))}
    assert set(re.findall(r"\b(\d+) (?:of the \d+ sound classes|of them have a procedural|classes with a procedural)", said)) == {str(len(modelled))}
    assert (len(CLASSES), len(models), len(modelled)) == (47, 34, 45)


@pytest.mark.parametrize("name", sorted(PAGES))
def test_pages_keep_no_internal_history_and_their_links_resolve(name):
    text = PAGES[name]
    assert not re.search(r"issue \d+|this session|this branch", text, re.IGNORECASE)
    folder = (ROOT / name).parent
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
        assert (folder / target).exists(), f"{name} links to {target}, which does not exist"


@pytest.mark.slow
def test_the_scene_editing_snippet_runs(tmp_path, monkeypatch):
    text = PAGES["docs/scene-format.md"]
    snippet = code_blocks(text[text.index("## Editing a scene in Python"):], "python")[0]
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(snippet, scope)
    scene = scope["result"].scene
    assert scene.event(scope["bird"]).start == 3.0 and scene.event(scope["bird"]).position.azimuth == -45
    assert scene.room is not None and scene.end == 8.0 and [e.id for e in scene.events][-1] == "rain"


def test_generated_tables_show_the_stored_results():
    from benchmarks.docs_tables import stale_pages

    assert stale_pages() == []


def test_a_table_is_regenerated_from_its_results(tmp_path):
    import json
    import shutil

    from benchmarks.docs_tables import RESULTS, stale_pages

    docs, results = tmp_path / "docs", tmp_path / "results"
    shutil.copytree(ROOT / "docs", docs, ignore=shutil.ignore_patterns("*.png"))
    results.mkdir()
    data = json.loads((RESULTS / "renderer_fidelity.json").read_text())
    data["summary"]["hrtf"]["pesq"] = 1.234  # a new run's figure
    (results / "renderer_fidelity.json").write_text(json.dumps(data))
    assert stale_pages(docs, results, write=True) == ["performance.md"]
    row = next(line for line in (docs / "performance.md").read_text().splitlines() if line.startswith("| hrtf |"))
    assert row.split(" | ")[5] == "1.23" and stale_pages(docs, results) == []
