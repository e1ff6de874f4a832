"""`mnistcnn serve` in a real browser: headless Chromium (Debian's chromium and
chromium-driver) draws digits on the canvas with pointer events and reads the page's
answer, then opens the experiments page and checks its plots loaded.

Skipped with the reason when Chromium or its driver is missing, unless
MNISTCNN_REQUIRE_BROWSER=1 (as `.ci/run` sets, after installing them). With
MNISTCNN_SCREENSHOTS=FOLDER it saves the README's screenshots there.
"""

import os
import shutil
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


def _skip_or_fail(reason: str):
    if os.environ.get("MNISTCNN_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}, and MNISTCNN_REQUIRE_BROWSER=1")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def served_url():
    """The app on a free local port, serving the committed model and results."""
    from mnistcnn.serving import create_app, serve_in_background

    app = create_app(PROJECT_ROOT / "models" / "mnistcnn.h5", PROJECT_ROOT / "models" / "mnistcnn-ensemble.h5",
                     PROJECT_ROOT / "experiments", PROJECT_ROOT / "models")
    server, thread, url = serve_in_background(app)
    yield url
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM or not CHROMEDRIVER:
        _skip_or_fail("Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _skip_or_fail("selenium is not installed (pip install -e '.[test]')")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    # Headless, as root in a container, and quiet on a machine with no way out: without the
    # background-networking flags Chromium keeps trying to reach Google's hosts.
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-quic", "--window-size=1100,820"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def draw(browser, strokes):
    """Each stroke a list of (x, y) offsets from the canvas centre, drawn with the mouse as
    pointer events: down, moves, up."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    pad = browser.find_element(By.ID, "pad")
    for stroke in strokes:
        actions = ActionChains(browser, duration=20).move_to_element_with_offset(pad, *stroke[0]).click_and_hold()
        for start, end in zip(stroke, stroke[1:]):
            for step in range(1, 6):  # several moves per segment, as a hand makes
                actions = actions.move_to_element_with_offset(
                    pad, round(start[0] + (end[0] - start[0]) * step / 5), round(start[1] + (end[1] - start[1]) * step / 5))
        actions.release().perform()


def wait_for_digit(browser, digit: str):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 30).until(lambda page: page.find_element(By.ID, "digit").text == digit,
                                     f"the page never showed {digit}")


def wait_for_plots(browser, selector: str, count: int, what: str):
    """Until `count` images match `selector` and every one has loaded."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 30).until(
        lambda page: page.execute_script(
            f"const images = document.querySelectorAll('{selector}');"
            f"return images.length === {count} && [...images].every(image => image.complete && image.naturalWidth > 0);"),
        f"{what} did not load")


def screenshot(browser, name: str):
    folder = os.environ.get("MNISTCNN_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(Path(folder) / name))


def test_drawn_digits_are_read(browser, served_url):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(served_url + "/")
    draw(browser, [[(-70, -85), (70, -85)], [(70, -85), (-15, 95)]])  # a 7 in two strokes
    wait_for_digit(browser, "7")
    ink = float(browser.find_element(By.ID, "preprocessed").get_attribute("data-ink"))
    assert ink > 20, "the preprocessed 28x28 image shown is empty"
    assert len(browser.find_elements(By.CSS_SELECTOR, "#bars .bar")) == 10
    screenshot(browser, "draw.png")
    browser.find_element(By.ID, "clear").click()
    wait_for_digit(browser, "?")
    assert float(browser.find_element(By.ID, "preprocessed").get_attribute("data-ink")) == 0
    draw(browser, [[(5, -95), (0, 95)]])  # a 1 in one stroke
    wait_for_digit(browser, "1")
    assert float(browser.find_element(By.ID, "preprocessed").get_attribute("data-ink")) > 10
    draw(browser, [[(-60, -60), (60, -60)]])  # a bar on top: a 7 again ...
    wait_for_digit(browser, "7")
    browser.find_element(By.ID, "undo").click()  # ... and undone: a 1
    wait_for_digit(browser, "1")
    browser.find_element(By.CSS_SELECTOR, "input[name=model][value=ensemble]").click()
    WebDriverWait(browser, 30).until(lambda page: "(ensemble)" in page.find_element(By.ID, "confidence").text,
                                     "the ensemble switch did not re-read the drawing")
    assert browser.find_element(By.ID, "digit").text == "1"


def test_a_chosen_image_file_is_read(browser, served_url, tmp_path):
    from selenium.webdriver.common.by import By

    from test_server import drawn

    photo = tmp_path / "zero.png"
    photo.write_bytes(drawn(0))
    browser.get(served_url + "/")
    browser.find_element(By.ID, "file").send_keys(str(photo))
    wait_for_digit(browser, "0")
    assert float(browser.find_element(By.ID, "preprocessed").get_attribute("data-ink")) > 10


def test_a_digit_halfway_between_4_and_9_is_shown_as_unsure(browser, served_url, tmp_path):
    from selenium.webdriver.common.by import By

    from test_calibration import four_closing_into_a_nine

    drawing = tmp_path / "four-or-nine.png"
    four_closing_into_a_nine(20).save(drawing)
    browser.get(served_url + "/")
    browser.find_element(By.ID, "file").send_keys(str(drawing))
    wait_for_digit(browser, "unsure: 4 or 9")
    screenshot(browser, "unsure.png")


def test_experiments_page_shows_sweeps(browser, served_url):
    from selenium.webdriver.common.by import By

    browser.get(served_url + "/experiments")
    wait_for_plots(browser, "#sweep-pooling img", 3, "the pooling sweep's plots")
    leader = browser.find_element(By.CSS_SELECTOR, "#sweep-pooling tr.leader").text
    assert "leader ★" in leader
    verdicts = browser.find_element(By.CSS_SELECTOR, "#sweep-pooling table").text
    assert "decided" in verdicts or "tie within ±" in verdicts
    screenshot(browser, "experiments.png")


def test_experiments_page_shows_the_committed_search_and_its_judging(browser, served_url):
    from selenium.webdriver.common.by import By

    browser.get(served_url + "/experiments")
    wait_for_plots(browser, "#search-joint img", 3, "the joint search's plots")
    section = browser.find_element(By.CSS_SELECTOR, "#search-joint").text
    assert "10 trials completed, 25 stopped early by the pruner" in section
    assert "Which settings matter (importance): pooling 0.25" in section
    assert "winner from-sweeps" in section and "recipe worse by 0.47" in section
    browser.execute_script("document.getElementById('search-joint').scrollIntoView()")
    screenshot(browser, "search.png")
