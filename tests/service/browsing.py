"""Driving Debian's headless Chromium with Playwright in the web tests: a page that refuses and records any request
leaving the server under test, and asking a question on the question page (the `browser` fixture is in conftest)."""

from __future__ import annotations

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def open_page(browser, base_url, width=1000, height=900):
    """A new page that records every request it makes and refuses any that leaves the server."""
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=base_url)
    context.set_default_timeout(30_000)
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base_url + "/")
                  else route.abort())
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return page, requests, errors


def assert_local(requests, base_url):
    assert requests, "the page made no request at all"
    strays = [url for url in requests if not url.startswith(base_url + "/")]
    assert strays == [], f"requests left {base_url}: {strays}"


def ask(page, question):
    page.fill("#q", question)
    page.press("#q", "Enter")
