"""`grants overview`: a self-contained page, checked in a real headless browser (Debian's chromium
driven by Playwright): it opens without console errors, loads nothing but itself, every chart has
drawn marks, and its tables hold the hand-checked figures."""

import re

import pytest

from tests.e2e.test_check_cli import checked  # noqa: F401 - the data set: one position per rule kind

CHROMIUM = "/usr/bin/chromium"  # Debian's package, installed by .ci/run
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]
TABLES = """() => [...document.querySelectorAll('table')].map(t =>
    [...t.querySelectorAll('tr')].map(r => [...r.children].map(c => c.textContent)))"""
MARKS = """() => [...document.querySelectorAll('svg.chart')].map(s => [s.getAttribute('aria-label'),
    [...s.querySelectorAll('.mark')].filter(m => { const b = m.getBoundingClientRect();
                                                  return b.width > 0 && b.height > 0; }).length])"""


@pytest.fixture
def page_of(checked, tmp_path):  # noqa: F811
    def make(*args):
        path = tmp_path / "overview.html"
        result = checked("overview", "--on", "2025-06-01", *args, "--output", str(path))
        assert result.exit_code == 0, result.output
        return path, result.stdout
    return make


def test_the_page_is_self_contained_and_names_its_digest(page_of, checked):  # noqa: F811
    path, said = page_of()
    html = path.read_text(encoding="utf-8")
    digest = re.search(r"ledger digest (\d+:[0-9a-f]{64})", said).group(1)
    assert f"<code>{digest}</code>" in html and digest.startswith("21:")
    assert not re.search(r"<script|<link|<img|<iframe|\ssrc=|url\(|@import", html)
    assert re.findall(r"https?://[^\"' ]+", html) == ["http://www.w3.org/2000/svg"] * 4  # SVG namespaces, not loads


def test_the_page_opens_in_chromium_with_every_chart_drawn_and_the_figures_in_its_tables(page_of):
    from playwright.sync_api import sync_playwright

    path, _ = page_of()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        errors, requests = [], []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("request", lambda request: requests.append(request.url))
        page.goto(path.as_uri())
        marks = dict(page.evaluate(MARKS))
        tables = page.evaluate(TABLES)
        browser.close()
    assert errors == [] and requests == [path.as_uri()]
    assert marks == {"funding per year and scheme": 6,        # one segment per year and scheme
                     "transitional scheme per year": 5,       # the curve and four points
                     "frames against granted": 2,             # the frame and what was granted
                     "compliance findings on 2025-06-01": 5}  # one bar per kind of finding
    funding, winddown, frames = tables[0], tables[1], tables[2]
    assert funding[1:] == [["2021", "765.62", "2", "990 000"], ["2022", "765.62", "1", "550 000"],
                           ["2023", "765.60-adults", "1", "500 000"], ["2023", "765.62", "1", "330 000"],
                           ["2024", "765.62", "1", "330 000"], ["2024", "765.62-new", "1", "400 000"]]
    assert winddown[1:] == [["2021", "2", "1.50", "990 000"], ["2022", "1", "1.00", "550 000"],
                            ["2023", "1", "1.00", "330 000"], ["2024", "1", "1.00", "330 000"]]
    assert frames[1:] == [["1", "2021", "innlandet", "765.62", "900 000", "990 000", "-90 000"]]


def test_an_office_page_shows_only_that_office(page_of, checked):  # noqa: F811
    path, said = page_of("--office", "vestland", "--year", "2023")
    assert said.startswith(f"wrote {path} (Statsforvalteren i Vestland, 2023; ledger digest 21:")
    html = path.read_text(encoding="utf-8")
    assert "765.60-adults" in html and "W/1" not in html and "no data" in html  # no frames in Vestland
    assert checked("overview", "--office", "atlantis", "--output", str(path)).exit_code == 2
    assert checked("overview").exit_code == 2  # --output is required
