"""What the browser tests do on the screens: dropping files the way a
file manager does, reading the live status, pressing buttons, and the
accessibility check with axe-core."""
import json
import os
import time

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By

from harness import wait

HERE = os.path.dirname(os.path.abspath(__file__))
SCREENS = os.path.join(HERE, "..", "..", "docs", "screens")


def drop_files(d, zone_id, paths):
    """Drops PATHS on the element ZONE_ID with a real DataTransfer of Files."""
    src = d.execute_script(
        "const i = document.createElement('input'); i.type = 'file'; i.multiple = true; i.id = '__drop_src';"
        "document.body.append(i); return i;")
    src.send_keys("\n".join(paths))
    d.execute_script(
        "const i = document.getElementById('__drop_src'); const dt = new DataTransfer();"
        "for (const f of i.files) dt.items.add(f);"
        "const z = document.getElementById(arguments[0]);"
        "z.dispatchEvent(new DragEvent('dragover', {dataTransfer: dt, bubbles: true, cancelable: true}));"
        "z.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));"
        "i.remove();", zone_id)


def text(d, css):
    """The text of every element CSS matches, read again if the page redraws
    them while they are read."""
    for _ in range(20):
        try:
            return " ".join(e.text for e in d.find_elements(By.CSS_SELECTOR, css))
        except StaleElementReferenceException:
            continue
    raise AssertionError(f"{css} keeps being redrawn")


def wait_text(d, css, needle, timeout=30):
    try:
        wait(d, lambda: needle in text(d, css), timeout, f"{needle!r} in {css}")
    except AssertionError as e:
        raise AssertionError(f"{e} (now: {text(d, css)[:300]!r})") from e


def click(d, css):
    d.find_element(By.CSS_SELECTOR, css).click()


def go(d, base, route):
    d.get(f"{base}/#{route}")
    wait(d, lambda: d.execute_script("return document.readyState") == "complete", 10, "page load")
    time.sleep(0.3)


def open_new(d, base):
    """Opens 新規作成 from the menu, as staff do from another screen: a new,
    empty send."""
    go(d, base, "home")
    wait_text(d, "#h-home", "ホーム")
    click(d, '#nav a[data-route="new"]')
    wait(d, lambda: d.execute_script("return location.hash") == "#new" and "新規作成" in text(d, "#h-new"), 10,
         "an empty 新規作成")
    assert text(d, "#files-csv") == "なし" and text(d, "#files-other") == "なし", "files left from before"


def dialog_open(d):
    return d.execute_script("return document.getElementById('dialog').open")


def row_with(d, table_id, needle):
    for r in d.find_elements(By.CSS_SELECTOR, f"#{table_id} tbody tr"):
        if needle in r.text:
            return r
    return None


def shot(d, name):
    os.makedirs(SCREENS, exist_ok=True)
    d.save_screenshot(os.path.join(SCREENS, name + ".png"))


def api(d, method, path, body=None):
    """Calls the agent's API from the signed-in page itself."""
    return d.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "const init = {method: arguments[0], headers: {'Content-Type': 'application/json'}};"
        "if (arguments[2] !== null) init.body = JSON.stringify(arguments[2]);"
        "fetch(arguments[1], init).then(async r => done({status: r.status, body: await r.json()}))"
        ".catch(e => done({status: 0, body: String(e)}));", method, path, body)


_AXE = None


def axe(d, what):
    """Runs axe-core on the page; returns serious and critical violations."""
    global _AXE
    if _AXE is None:
        with open(os.path.join(HERE, "axe", "node_modules", "axe-core", "axe.min.js")) as f:
            _AXE = f.read()
    d.execute_script(_AXE)
    result = d.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(JSON.stringify(r.violations)))"
        ".catch(e => done(JSON.stringify([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}])));")
    bad = [v for v in json.loads(result) if v.get("impact") in ("serious", "critical")]
    return [f"{what}: {v['id']} ({v['impact']}): {v['help']} at "
            f"{[n.get('target') for n in v.get('nodes', [])][:3]}" for v in bad]
