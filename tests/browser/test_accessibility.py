"""axe-core on every page of every role (issue 13 item 5), in Chromium through Playwright.

The pages are the ones test_journeys walks (its ``pages_by_role``: read from
streamlit_app.PAGES, so a new page is checked without touching this file), plus the
sign-in page. One server, one browser, one context per role; each page is opened
from the menu, once in Chinese and once in English (the direction alternates, as in
test_journeys, so each page costs two runs), and axe-core (the copy bundled with the
``axe-playwright-python`` package, no network needed) checks what is on screen.

A serious or critical violation fails the test unless each of its elements matches
an entry of STREAMLIT_OWN below: markup Streamlit itself renders, which Qiping
cannot change without patching Streamlit. Every violation found, Streamlit's
included, is written to tests/artifacts/axe_results.json and summarised in
tests/artifacts/axe_summary.md (counts per impact; each rule, impact, selector and
the pages it was found on).
"""
from __future__ import annotations

import json
import re
import time
from collections import Counter
from dataclasses import dataclass

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")
expect = playwright_api.expect

from tests import browser_support as bs  # noqa: E402  (needs playwright)
from tests.browser.test_journeys import (  # noqa: E402  (the pages and how to reach them)
    EN, ZH, other, pages_by_role, shows_page, sign_in_as)

pytestmark = pytest.mark.browser

server, browser = bs.server, bs.browser  # shared fixtures: one server per module

BLOCKING = ("serious", "critical")
ROLES = ("enterprise", "agency", "discipline", "admin")


@dataclass(frozen=True)
class Allowed:
    """A violation that comes from Streamlit's own markup: rule id, a pattern every
    offending element's selector (or HTML) matches, and why it is Streamlit's."""
    rule: str
    pattern: str
    why: str

    def covers(self, rule: str, node: dict) -> bool:
        where = " ".join(map(str, node["target"])) + " " + node.get("html", "")
        return rule == self.rule and re.search(self.pattern, where) is not None


# Streamlit's own markup that axe objects to. Each entry names the rule, the elements
# (a pattern on the selector and HTML axe reports) and why Qiping cannot fix it.
STREAMLIT_OWN: list[Allowed] = [
    # st.file_uploader's drop zone is a <section role="presentation"> that is also focusable
    # (tabindex="-1") and named (aria-label): Streamlit's FileUploader component, whatever the
    # page passes it (its label is Qiping's and is there). Minor.
    Allowed("presentation-role-conflict", r'data-testid="stFileUploaderDropzone"',
            "st.file_uploader's drop zone (Streamlit's markup: a focusable, named role=presentation)"),
    # st.navigation in sections: Streamlit's sidebar menu puts each section's header <div> and the
    # section's own <li> items straight into one <ul data-testid="stSidebarNavItems">, so axe sees a
    # <ul> with <div> children and <li> items whose parent is not a list. Qiping only passes the
    # sections ({title: [pages]}); the menu's markup is Streamlit's (its generated st-emotion classes;
    # Qiping writes no <li> of its own outside Markdown, whose items carry no such class). Serious.
    Allowed("list", r'data-testid="stSidebarNavItems"',
            "st.navigation's sectioned sidebar menu: section headers as <div> children of its <ul>"),
    Allowed("listitem", r'<li class="st-emotion-cache-[\w-]+ e\w+">',
            "st.navigation's sectioned sidebar menu: its items under the section headers"),
]


def streamlit_own(rule: str, node: dict) -> Allowed | None:
    return next((entry for entry in STREAMLIT_OWN if entry.covers(rule, node)), None)


def wait_for_charts(page) -> None:
    """Vega-Lite draws after the run: wait for every chart's SVG or canvas."""
    charts = bs.main(page).locator('[data-testid="stVegaLiteChart"]')
    for index in range(charts.count()):
        bs.chart_rendered(charts.nth(index))


def run_axe(page, axe) -> dict:
    wait_for_charts(page)
    bs.settle(page)
    return axe.run(page).response


def test_axe_finds_a_low_contrast_text_of_qipings_and_does_not_call_it_streamlits(browser, server):
    """The check itself: a grey-on-white line put into the page is reported as Qiping's own."""
    axe = axe_sync.Axe()
    with bs.app_tab(browser, server.url) as page:
        bs.settle(page)
        page.evaluate("""() => { const p = document.createElement('p'); p.id = 'axe-probe';
            p.style.color = '#bbbbbb'; p.textContent = '低对比度 low contrast';
            document.querySelector('[data-testid="stMain"] [data-testid="stHeading"]').after(p); }""")
        response = axe.run(page, context="#axe-probe").response
        page.evaluate("() => document.getElementById('axe-probe').remove()")
    flagged = [(v["id"], v["impact"], n["target"]) for v in response["violations"] for n in v["nodes"]]
    assert ("color-contrast", "serious", ["#axe-probe"]) in flagged, flagged
    assert all(streamlit_own(v["id"], n) is None for v in response["violations"] for n in v["nodes"])


def test_no_serious_or_critical_violation_of_qipings_own_on_any_page(browser, server):
    axe = axe_sync.Axe()
    found: list[dict] = []  # one row per (page, language, rule, element)
    broken: list[str] = []
    checked: list[tuple[str, str, str]] = []  # (role, page, language) that axe ran on
    engine: set[str] = set()
    started = time.monotonic()

    def check(page, role: str, where: str, lang: str) -> None:
        response = run_axe(page, axe)
        checked.append((role, where, lang))
        engine.add(response["testEngine"]["version"])
        for violation in response["violations"]:
            for node in violation["nodes"]:
                allowed = streamlit_own(violation["id"], node)
                found.append({
                    "role": role, "page": where, "lang": lang, "rule": violation["id"],
                    "impact": violation["impact"], "help": violation["help"],
                    "selector": " ".join(map(str, node["target"])), "html": node.get("html", "")[:300],
                    "summary": node.get("failureSummary", "")[:400],
                    "streamlit": allowed.why if allowed else None,
                })

    roles = pages_by_role()
    assert set(roles) == set(ROLES), roles
    for role in ROLES:
        context = bs.new_context(browser)
        try:
            page = context.new_page()
            bs.open_app(page, server.url)
            if role == "enterprise":  # the sign-in page, before anyone signs in
                bs.settle(page)
                check(page, "anyone", "app_pages/shared/sign_in.py", ZH)
            sign_in_as(page, role)
            lang = ZH
            for path, nav_key in roles[role]:
                bs.sidebar(page).get_by_role("link", name=bs.text(nav_key, lang), exact=True).click()
                problems = shows_page(page, path, nav_key, lang)
                if not problems:
                    check(page, role, path, lang)
                    bs.switch_language(page, other(lang))
                    problems = shows_page(page, path, nav_key, other(lang))
                    if not problems:
                        check(page, role, path, other(lang))
                        lang = other(lang)
                broken += [f"{role} · {path} · {p}" for p in problems]
                if problems:  # the role's session is in an unknown state: stop it, the test fails below
                    break
        finally:
            context.close()
    elapsed = time.monotonic() - started

    write_report(found, elapsed, engine, len(checked))
    assert broken == [], "pages that did not show:\n" + "\n".join(broken)
    expected = {("anyone", "app_pages/shared/sign_in.py", ZH)} | {
        (role, path, lang) for role in ROLES for path, _ in roles[role] for lang in (ZH, EN)}
    assert sorted(checked) == sorted(expected), "axe did not run once on every page in each language"
    ours = [row for row in found if row["impact"] in BLOCKING and row["streamlit"] is None]
    assert ours == [], "serious or critical accessibility violations in Qiping's own content:\n" + "\n".join(
        f"{r['role']} · {r['page']} · {r['lang']} · {r['rule']} ({r['impact']}) · {r['selector']}\n    {r['html']}"
        f"\n    {r['summary']}" for r in ours)


def where(selector: str) -> str:
    """A selector without Streamlit's generated class names and heading ids, to group by."""
    kept = re.sub(r"\.st-emotion-cache-\w+|\.e[a-z0-9]{6,9}\d*\b", "", selector)
    return re.sub(r"#[^ >]+|\[aria-labelledby=[^\]]+\]", "", kept).strip() or selector


def write_report(found: list[dict], elapsed: float, engine: set[str], runs: int) -> None:
    """tests/artifacts/axe_results.json (every element) and axe_summary.md (counts, and each
    rule with its owner, an example selector and the pages)."""
    bs.ARTIFACTS.mkdir(exist_ok=True)
    (bs.ARTIFACTS / "axe_results.json").write_text(json.dumps(found, ensure_ascii=False, indent=1),
                                                   encoding="utf-8")
    lines = [f"# axe-core {', '.join(sorted(engine))}: {runs} pages checked in {elapsed:.0f} s", "",
             "Elements in violation (an element counted once per page and language):", "",
             "| impact | Qiping's own | Streamlit's own |", "|---|---|---|"]
    for impact in ("critical", "serious", "moderate", "minor"):
        ours = sum(1 for r in found if r["impact"] == impact and r["streamlit"] is None)
        theirs = sum(1 for r in found if r["impact"] == impact and r["streamlit"] is not None)
        lines.append(f"| {impact} | {ours} | {theirs} |")
    lines.append("")
    grouped: dict[tuple, dict] = {}
    for r in found:
        key = (r["streamlit"] is not None, r["rule"], r["impact"])
        entry = grouped.setdefault(key, {"pages": set(), "example": r, "why": r["streamlit"], "n": 0})
        entry["pages"].add(f"{r['page'].split('/')[-1].removesuffix('.py')} ({r['lang']})")
        entry["n"] += 1
    for (theirs, rule, impact), entry in sorted(grouped.items()):
        example = entry["example"]
        lines += [f"## {rule} ({impact}), {'Streamlit' if theirs else 'Qiping'}: {entry['n']} elements",
                  f"{example['help']}." + (f" Streamlit's: {entry['why']}." if theirs else ""),
                  f"- e.g. `{where(example['selector'])}` on {example['page']} ({example['lang']}):"
                  f" `{example['html'][:160]}`",
                  f"- pages: {', '.join(sorted(entry['pages']))}", ""]
    unused = [a for a in STREAMLIT_OWN if not any(r["streamlit"] == a.why for r in found)]
    lines += [f"Allow-list entries that matched nothing this run: {[a.rule for a in unused] or 'none'}"]
    (bs.ARTIFACTS / "axe_summary.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
