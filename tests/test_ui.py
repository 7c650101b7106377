"""The web app (`cascade ui`) in a real browser: Debian's headless chromium, driven by selenium through
Debian's chromedriver, against the app served by the `cascade ui` command in a subprocess.

The server runs with every proxy variable pointing at a recorder, so any request it tries to make to
the outside is caught; the browser's proxy is a closed port, so the page is checked as if offline.
Screenshots go to tests/output/ (git-ignored).
"""

import io
import json
import os
import shutil
import socket
import socketserver
import subprocess
import sys
import threading
import time
import urllib.request
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

import cascade
from cascade.cli import main
from cascade.scene import Scene
from cascade.ui import _status as _status_html
from cascade.ui import follow_distance, heard, scene_rows, table_scene

pytestmark = pytest.mark.slow  # a browser, a sentence model or many renders: `pytest -m 'not slow'` skips it

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = Path(__file__).resolve().parent / "output"
EXAMPLE = "a dog barks behind, then a bird on the right"
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
NO_PROXY = {"http": None, "https": None}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Recorder(socketserver.ThreadingTCPServer):
    """A proxy that forwards nothing: it records the first line of each request it is sent and closes."""

    daemon_threads = True

    def __init__(self):
        self.requests: list[str] = []
        super().__init__(("127.0.0.1", 0), _RecordLine)


class _RecordLine(socketserver.StreamRequestHandler):
    def handle(self):
        self.server.requests.append(self.rfile.readline(4096).decode("latin-1").strip())


def _get(url: str) -> bytes:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as response:
        return response.read()


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """`cascade ui` on a free port, its outbound requests recorded; yields (url, port, recorder)."""
    recorder = _Recorder()
    threading.Thread(target=recorder.serve_forever, daemon=True).start()
    proxy = f"http://127.0.0.1:{recorder.server_address[1]}"
    folder = tmp_path_factory.mktemp("ui")
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("GRADIO_", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"))}
    env.update({name: proxy for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")})
    env.update({"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost", "GRADIO_TEMP_DIR": str(folder / "gradio"),
                "CASCADE_CACHE_DIR": str(folder / "cache")})
    port = _free_port()
    log = open(folder / "server.log", "w+")  # noqa: SIM115 (open for the server's whole life)
    server = subprocess.Popen([sys.executable, "-m", "cascade.cli", "ui", "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 240  # a shared, busy CPU can take minutes to import Gradio and torch
    while True:
        try:
            _get(url)
            break
        except OSError:
            log.seek(0)
            assert server.poll() is None and time.monotonic() < deadline, f"cascade ui did not start:\n{log.read()}"
            time.sleep(0.3)
    yield url, port, recorder
    server.terminate()
    server.wait(timeout=20)
    log.close()
    recorder.shutdown()
    recorder.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("Debian's chromium and chromium-driver are not installed (bash scripts/setup.sh test installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--window-size=1400,2400", f"--proxy-server=http://127.0.0.1:{_free_port()}",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    OUTPUT.mkdir(exist_ok=True)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def _open(browser, url):
    browser.get(url)
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#text textarea"))
    return browser.find_element(By.CSS_SELECTOR, "#text textarea")


def _status(browser) -> str:
    return browser.find_element(By.ID, "status").text


def _cell_editor(browser):
    """The table cell's text editor once it has the focus, else False."""
    element = browser.switch_to.active_element
    return element if element.tag_name in ("input", "textarea") else False


def _cli_error(args: list[str], capsys) -> str:
    """The message the command line prints for the same input, without its 'cascade: error: ' prefix."""
    capsys.readouterr()
    assert main(args) == 2
    return capsys.readouterr().err.strip().removeprefix("cascade: error: ")


def _page_requests(browser) -> list[str]:
    urls = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def test_typed_sentence_renders_plays_plots_and_offers_the_cli_s_files(app, browser, tmp_path):
    url, _, _ = app
    _open(browser, url).send_keys(EXAMPLE)
    browser.find_element(By.ID, "render").click()
    WebDriverWait(browser, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#audio audio[src]") or "error" in _status(d))
    assert _status(browser).startswith("rendered 2 event(s)") and "generator auto -> " in _status(browser)
    player = browser.find_element(By.CSS_SELECTOR, "#audio audio[src]")
    duration = WebDriverWait(browser, 20).until(lambda d: d.execute_script("return arguments[0].duration || 0", player))
    plot = browser.find_element(By.CSS_SELECTOR, "#plot img")
    assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", plot) == 1300
    browser.save_screenshot(str(OUTPUT / "ui_render.png"))

    links = {a.get_attribute("download") or a.text.strip(): a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#downloads a[href]")}
    assert {"scene.wav", "scene_foa.wav", "scene_stems.zip", "scene.json", "scene.png"} <= set(links)
    assert main(["render", EXAMPLE, "-o", str(tmp_path / "cli.wav"), "-q"]) == 0
    cli, rate = sf.read(tmp_path / "cli.wav", dtype="float32")
    app_audio, app_rate = sf.read(io.BytesIO(_get(player.get_attribute("src"))), dtype="float32")
    assert app_rate == rate and np.array_equal(app_audio, cli)  # same defaults, same samples as `cascade render`
    assert duration == pytest.approx(len(cli) / rate, abs=0.05)  # the browser decoded the whole file
    foa, _ = sf.read(io.BytesIO(_get(links["scene_foa.wav"])))
    assert foa.shape == (len(cli), 4)
    assert sorted(zipfile.ZipFile(io.BytesIO(_get(links["scene_stems.zip"]))).namelist()) == [
        "scene_stems/bird.wav", "scene_stems/bird_foa.wav", "scene_stems/dog.wav", "scene_stems/dog_foa.wav"]
    assert Scene.from_json(_get(links["scene.json"]).decode()).events[0].generation is not None

    requests = [u for u in _page_requests(browser) if u.startswith(("http:", "https:", "ws:", "wss:"))]  # not chrome:// pages
    assert url in requests and [u for u in requests if not u.startswith(url)] == []  # the page loads nothing from the network


def test_bad_table_edit_shows_the_cli_s_error_line(app, browser, tmp_path, capsys):
    url, _, _ = app
    _open(browser, url).send_keys(EXAMPLE + Keys.ENTER)
    WebDriverWait(browser, 30).until(lambda d: _status(d).startswith("planned"))
    cell = browser.find_element(By.CSS_SELECTOR, '#events [data-testid="cell-0-3"]')  # first event's duration
    ActionChains(browser).double_click(cell).perform()
    editor = WebDriverWait(browser, 10).until(_cell_editor)  # the editor opens asynchronously: a busy CPU makes it late
    editor.send_keys(Keys.CONTROL, "a")
    editor.send_keys("99" + Keys.ENTER)

    scene = json.loads(cascade.plan_scene(EXAMPLE).to_json())
    scene["events"][0]["duration"] = 99
    (tmp_path / "bad.json").write_text(json.dumps(scene))
    expected = _cli_error(["render", str(tmp_path / "bad.json"), "-o", str(tmp_path / "x.wav")], capsys)
    expected = expected.removeprefix(f"{tmp_path / 'bad.json'}: ")  # the command line names the file the app does not have
    assert expected.startswith("events.0.duration: ")
    WebDriverWait(browser, 20).until(lambda d: "error" in _status(d))
    assert _status(browser) == f"error: {expected}"
    browser.save_screenshot(str(OUTPUT / "ui_error.png"))


def test_rendering_with_a_bad_room_shows_the_cli_s_error_line(app, browser, tmp_path, capsys):
    url, _, _ = app
    _open(browser, url).send_keys(EXAMPLE + Keys.ENTER)
    WebDriverWait(browser, 30).until(lambda d: _status(d).startswith("planned"))
    browser.find_element(By.CSS_SELECTOR, "#room button, #room .label-wrap").click()
    WebDriverWait(browser, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, "#room-on input").is_displayed())
    browser.find_element(By.CSS_SELECTOR, "#room-on input").click()
    depth = browser.find_element(By.CSS_SELECTOR, "#room-x input")
    depth.send_keys(Keys.CONTROL, "a")
    depth.send_keys("500")
    browser.find_element(By.ID, "render").click()

    scene = json.loads(cascade.plan_scene(EXAMPLE).to_json())
    scene["room"] = {"dimensions": [500, 4, 3], "rt60": 0.5}  # the app's room defaults, with the depth typed above
    (tmp_path / "bad.json").write_text(json.dumps(scene))
    expected = _cli_error(["render", str(tmp_path / "bad.json"), "-o", str(tmp_path / "x.wav")], capsys).removeprefix(f"{tmp_path / 'bad.json'}: ")
    assert expected.startswith("room.dimensions: ")
    WebDriverWait(browser, 30).until(lambda d: "error" in _status(d))
    assert _status(browser) == f"error: {expected}" and not browser.find_elements(By.CSS_SELECTOR, "#audio audio[src]")


def test_rendering_an_empty_sentence_shows_the_cli_s_error_line(app, browser, tmp_path, capsys):
    url, _, _ = app
    _open(browser, url)
    browser.find_element(By.ID, "render").click()
    expected = _cli_error(["render", "", "-o", str(tmp_path / "x.wav")], capsys)
    WebDriverWait(browser, 20).until(lambda d: "error" in _status(d))
    assert _status(browser) == f"error: {expected}"


def test_server_listens_on_loopback_only_and_sent_nothing_out(app):
    """Runs after the browser tests (when they ran): nothing they did reached out either."""
    _, port, recorder = app
    listening = []
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        for line in (table.read_text().splitlines()[1:] if table.exists() else []):
            local, state = line.split()[1], line.split()[3]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                listening.append(local.rsplit(":", 1)[0])
    assert listening == ["0100007F"]  # 127.0.0.1, little-endian hex; no 0.0.0.0, no IPv6
    assert recorder.requests == []


def test_busy_or_impossible_port_is_a_one_line_error(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["ui", "--port", str(port)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cascade: error:") and "\n" not in err and str(port) in err
    assert main(["ui", "--port", "70000"]) == 2
    err = capsys.readouterr().err.strip()
    assert "65535" in err and "\n" not in err


def test_table_rows_give_back_the_scene_with_its_room_and_path():
    scene = Scene.from_dict({"text": "t", "seed": 3, "sample_rate": 48000, "room": {"dimensions": [6, 4, 3], "rt60": 0.5}, "events": [
        {"id": "car", "description": "a car passes", "start": 1.0, "duration": 4.0, "position": {"azimuth": 90, "elevation": 0, "distance": 10},
         "gain_db": -3, "trajectory": [{"time": 2, "position": {"azimuth": 0, "elevation": 5, "distance": 4}},
                                       {"time": 4, "position": {"azimuth": -90, "elevation": 0, "distance": 10}}]}]})
    rows = scene_rows(scene)
    assert rows[0][8] == "2 0 5 4; 4 -90 0 10"
    room = {"dimensions": [6, 4, 3], "rt60": 0.5}
    assert table_scene([*rows, [None] * 10], {"text": "t"}, room, 3, 48000) == scene  # a blank row is ignored
    assert table_scene([*rows, [None] * 9 + [False]], {"text": "t"}, room, 3, 48000) == scene  # an unticked box alone is blank


def test_a_diffuse_bed_keeps_its_tick_through_the_table():
    scene = Scene.from_dict({"events": [{"id": "rain", "description": "rain", "duration": 5, "diffuse": True, "position": {"distance": 3}}]})
    rows = scene_rows(scene)
    assert rows[0][9] is True and table_scene(rows, {}, None, 0, 44100) == scene


@pytest.mark.parametrize("column, value, words", [
    (3, "", "events.0.duration: the cell is empty"),
    (4, "left", "events.0.position.azimuth: must be a number"),
    (8, "2 0 5", "events.0.trajectory: each keyframe is 'time azimuth elevation distance'"),
    (8, "9 0 0 1", "events.0: trajectory key time 9.0 s lies beyond the event's duration 2.0 s"),
])
def test_bad_cells_are_one_line_errors_naming_the_field(column, value, words):
    row = ["a", "a dog barks", 0, 2, 0, 0, 1.5, 0, ""]
    row[column] = value
    with pytest.raises(cascade.SceneError) as err:
        table_scene([row], {}, None, 0, 44100)
    assert str(err.value).startswith(words) and "\n" not in str(err.value)


def test_a_moving_source_s_distance_moves_its_whole_path_and_every_column_is_on_screen(app, browser):
    url, _, _ = app
    _open(browser, url).send_keys("a car passes from left to right close by" + Keys.ENTER)  # doubled, its path stays within 100 m
    WebDriverWait(browser, 30).until(lambda d: _status(d).startswith("planned"))
    width = browser.execute_script("return document.documentElement.clientWidth")
    headers = {h.text.strip(): h for h in browser.find_elements(By.CSS_SELECTOR, "#events th") if h.text.strip()}
    for name in ("all around", "mute", "solo"):
        assert headers[name].rect["x"] >= 0 and headers[name].rect["x"] + headers[name].rect["width"] <= width, f"'{name}' is off screen"

    def path_distances(d) -> list[float]:
        return [float(key.split()[3]) for key in d.find_element(By.CSS_SELECTOR, '#events [data-testid="cell-0-8"]').text.split(";")]

    before = path_distances(browser)
    start = float(browser.find_element(By.CSS_SELECTOR, '#events [data-testid="cell-0-6"]').text)
    ActionChains(browser).double_click(browser.find_element(By.CSS_SELECTOR, '#events [data-testid="cell-0-6"]')).perform()
    editor = WebDriverWait(browser, 10).until(_cell_editor)
    editor.send_keys(Keys.CONTROL, "a")
    editor.send_keys(f"{2 * start:g}" + Keys.ENTER)
    WebDriverWait(browser, 30).until(lambda d: path_distances(d) != before)
    assert path_distances(browser) == pytest.approx([2 * d for d in before], rel=1e-3)  # the whole path moved out, not only its start
    browser.find_element(By.ID, "render").click()
    WebDriverWait(browser, 60).until(lambda d: _status(d).startswith(("rendered", "error")))
    assert _status(browser).startswith("rendered 1 event(s)") and "/" not in _status(browser).replace("…/", "")  # no server paths
    assert path_distances(browser) == pytest.approx([2 * d for d in before], rel=1e-3)  # the table shows the path that was heard
    browser.save_screenshot(str(OUTPUT / "ui_moving.png"))


def test_distance_edits_scale_a_path_and_nothing_else():
    rows = [["train", "a train", 0, 4, 90, 0, 5, 0, "2 0 0 5; 4 -90 0 10", False, False, False],
            ["dog", "a dog barks", 0, 1, 180, 0, 2, 0, "", False, False, False]]
    edited = [list(r) for r in rows]
    edited[0][6], edited[1][6] = 25, 4
    assert follow_distance(rows, edited)[0][8] == "2 0 0 25; 4 -90 0 50" and follow_distance(rows, edited)[1][8] == ""
    retyped = [list(r) for r in edited]
    retyped[0][8] = "2 0 0 7"  # the path cell itself edited: it is the user's, not scaled
    assert follow_distance(rows, retyped)[0][8] == "2 0 0 7"


def test_mute_and_solo_choose_the_events_heard():
    scene = Scene.from_dict({"events": [{"id": i, "description": "a dog barks", "duration": 1} for i in ("a", "b", "c")]})
    rows = scene_rows(scene)
    assert heard(scene, rows) == scene
    rows[0][10] = True
    assert [e.id for e in heard(scene, rows).events] == ["b", "c"]
    rows[2][11] = True
    assert [e.id for e in heard(scene, rows).events] == ["c"]  # a solo wins over every mute
    for row in rows:
        row[10], row[11] = True, False
    with pytest.raises(cascade.SceneError, match="every event is muted"):
        heard(scene, rows)


def test_the_status_line_shows_no_server_paths():
    line = _status_html("clips: 1 from the cache (/root/.cache/text2spatial/clips); wrote /tmp/cascade-ui-x/scene.wav and 3/4")
    assert "/root" not in line and "/tmp" not in line and "…/clips" in line and "…/scene.wav" in line and "3/4" in line
