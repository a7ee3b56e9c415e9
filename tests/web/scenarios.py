"""The browser scenarios of issue 9, run against a real broker and agents:
each function takes the shared context and raises on failure."""
import http.client
import json
import os
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

from selenium.webdriver.common.by import By

import careplan_files as cp
from harness import wait
from pages import (api, axe, click, dialog_open, drop_files, go, open_new, row_with, shot, text, wait_text)

A, B = "0123456789", "1299999999"
MORE = [("1300000001", "デイサービスあおば"), ("1300000002", "訪問看護つばさ"), ("1300000003", "福祉用具かえで"),
        ("1300000004", "ショートステイみなと")]


def home(ctx):
    a = ctx.a
    go(a, ctx.A.base(), "home")
    wait_text(a, "#screen-home", "居宅介護支援事業所さくら")
    wait_text(a, "#screen-home", "正常稼働中")
    assert "利用ライセンスの有効期限" in text(a, "#screen-home")
    assert a.execute_script("return document.documentElement.lang") == "ja"
    shot(a, "home")


def send_and_receive(ctx):
    a, b = ctx.a, ctx.b
    go(b, ctx.B.base(), "inbox")
    wait(b, lambda: "受信したデータはありません" in text(b, "#screen-inbox") or row_with(b, "inbox-table", "") is not None,
         20, "B's inbox")
    b.execute_script("window.__sameLoad = true")
    files = cp.unit_files(A, B)
    files["アセスメント.pdf"] = cp.pdf()
    paths = cp.write(os.path.join(ctx.dir, "send1"), files)
    open_new(a, ctx.A.base())
    drop_files(a, "compose-drop", paths)
    wait_text(a, "#to-lookup", "訪問介護ひまわり")
    wait_text(a, "#compose-status", "送信できます")
    assert a.find_element(By.ID, "to").get_attribute("value") == B
    message = "12月分のサービス利用票をお送りします。"
    a.find_element(By.ID, "message").send_keys(message)
    time.sleep(0.8)
    shot(a, "new")
    click(a, "#send")
    wait(a, lambda: dialog_open(a), 20, "the confirmation")
    body = text(a, "#dialog")
    assert "以上の内容で送信してよろしいですか？" in body, body
    assert "訪問介護ひまわり" in body and message in body, body
    for n in files:
        assert n in body, n
    shot(a, "confirm")
    click(a, "#confirm-send")
    wait_text(a, "#compose-status", "送信しました", 60)
    # B's open 受信一覧 shows it without a reload, standing out as 未.
    wait(b, lambda: row_with(b, "inbox-table", message) is not None, 30, "the new mail on B's open inbox")
    assert b.execute_script("return window.__sameLoad === true"), "the page was reloaded"
    row = row_with(b, "inbox-table", message)
    assert "unread" in row.get_attribute("class")
    assert "未" in row.text and "居宅介護支援事業所さくら" in row.text, row.text
    assert "登録" in row.text and "PDF等" in row.text, row.text
    shot(b, "inbox")
    row.find_element(By.CSS_SELECTOR, "input[type=checkbox]").click()
    click(b, "#fetch-btn")
    wait_text(b, "#inbox-status", "取得しました", 60)
    for n, data in files.items():
        with open(os.path.join(ctx.B.download_dir, n), "rb") as f:
            assert f.read() == data, n
    wait(b, lambda: "済" in row_with(b, "inbox-table", message).text, 20, "済 on B's inbox")
    # A second download is refused, in plain words.
    mid = row_with(b, "inbox-table", message).get_attribute("data-id")
    r = api(b, "POST", "/api/fetch", {"ids": [mid]})
    res = r["body"].get("results", [{}])[0] if r["status"] == 200 else {"ok": False, "error": r["body"].get("error")}
    assert res.get("ok") is False and (res.get("error") or {}).get("ja"), r
    # A's 送信一覧: 済 and the verified receipt.
    go(a, ctx.A.base(), "sent")
    wait(a, lambda: row_with(a, "sent-table", message) is not None and "済" in row_with(a, "sent-table", message).text,
         30, "済 on A's sent list")
    row_with(a, "sent-table", message).find_element(By.CSS_SELECTOR, ".receipt-btn").click()
    wait(a, lambda: dialog_open(a), 20, "the receipt")
    wait_text(a, "#dialog", "受領証の署名を確認しました")
    assert "KJ00" + B in text(a, "#dialog"), text(a, "#dialog")
    shot(a, "receipt")
    click(a, "#dialog-buttons button")
    shot(a, "sent")


def pdf_alone_lookup(ctx):
    a = ctx.a
    open_new(a, ctx.A.base())
    paths = cp.write(os.path.join(ctx.dir, "pdf"), {"居宅サービス計画書第3表.pdf": cp.pdf()})
    drop_files(a, "compose-drop", paths)
    to = a.find_element(By.ID, "to")
    wait(a, lambda: to.get_attribute("readonly") is None, 10, "a number field to type in")
    to.send_keys(B)
    wait_text(a, "#to-lookup", "訪問介護ひまわり（受信できます）")
    to.clear()
    to.send_keys("9999999999")
    wait_text(a, "#to-lookup", "登録されていません")


def checks_say_what_to_do(ctx):
    a = ctx.a
    open_new(a, ctx.A.base())
    files = cp.unit_files(A, B, stamp="20261121100000", broken=True)
    del files[[n for n in files if n.startswith("UPSIKYU")][0]]
    files["報告書.docx"] = b"PK\x03\x04" + os.urandom(100)
    drop_files(a, "compose-drop", cp.write(os.path.join(ctx.dir, "broken"), files))
    wait_text(a, "#compose-status", "このままでは送信できません")
    body = text(a, "#screen-new")
    assert "要修正" in body, body
    assert "PDF" in body, "a Word file should be told to be saved as PDF: " + body
    click(a, "#send")
    time.sleep(1)
    assert not dialog_open(a), "a broken send must not reach the confirmation"
    shot(a, "new-problems")


def drafts(ctx):
    a = ctx.a
    open_new(a, ctx.A.base())
    drop_files(a, "compose-drop", cp.write(os.path.join(ctx.dir, "draft1"), cp.unit_files(A, B, stamp="20261121110000")))
    wait_text(a, "#compose-status", "送信できます")
    a.find_element(By.ID, "message").send_keys("下書きから送ります。")
    click(a, "#save-draft")
    wait_text(a, "#compose-status", "一時保存しました")
    broken = cp.unit_files(A, B, stamp="20261121120000", broken=True)
    drop_files(a, "compose-drop", cp.write(os.path.join(ctx.dir, "draft2"), broken))
    wait_text(a, "#compose-status", "このままでは送信できません")
    click(a, "#save-draft")
    wait_text(a, "#compose-status", "一時保存しました")
    go(a, ctx.A.base(), "drafts")
    wait(a, lambda: row_with(a, "drafts-table", "下書きから送ります。") is not None, 20, "the draft")
    ready = row_with(a, "drafts-table", "下書きから送ります。")
    assert "送信可" in ready.text and "訪問介護ひまわり" in ready.text, ready.text
    bad = [r for r in a.find_elements(By.CSS_SELECTOR, "#drafts-table tbody tr") if "要修正" in r.text]
    assert bad, text(a, "#drafts-table")
    assert not bad[0].find_element(By.CSS_SELECTOR, ".draft-send").is_enabled()
    shot(a, "drafts")
    # Open, change, 更新.
    ready.find_element(By.LINK_TEXT, "開く").click()
    wait_text(a, "#h-new", "下書きの編集")
    wait(a, lambda: a.find_element(By.ID, "message").get_attribute("value") == "下書きから送ります。", 20,
         "the draft's message in the form")
    msg = a.find_element(By.ID, "message")
    msg.clear()
    msg.send_keys("下書きを直して送ります。")
    click(a, "#save-draft")
    wait_text(a, "#compose-status", "更新しました")
    go(a, ctx.A.base(), "drafts")
    wait(a, lambda: row_with(a, "drafts-table", "下書きを直して送ります。") is not None, 20, "the changed draft")
    row_with(a, "drafts-table", "下書きを直して送ります。").find_element(By.CSS_SELECTOR, ".draft-send").click()
    wait(a, lambda: dialog_open(a), 10, "the confirmation")
    assert "以上の内容で送信してよろしいですか？" in text(a, "#dialog")
    click(a, "#confirm-send")
    wait_text(a, "#drafts-status", "送信しました", 60)
    wait(a, lambda: row_with(a, "drafts-table", "下書きを直して送ります。") is None, 20, "the sent draft to go")
    row = [r for r in a.find_elements(By.CSS_SELECTOR, "#drafts-table tbody tr") if "要修正" in r.text][0]
    row.find_element(By.CSS_SELECTOR, ".draft-delete").click()
    wait(a, lambda: dialog_open(a), 10, "the delete question")
    click(a, "#delete-ok")
    wait_text(a, "#drafts-status", "削除しました")


def bulk(ctx):
    a = ctx.a
    uploads = os.path.join(ctx.A.home, "uploads")
    before = set(os.listdir(uploads)) if os.path.isdir(uploads) else set()
    go(a, ctx.A.base(), "bulk")
    folder = os.path.join(ctx.dir, "export")
    offices = [B] + [n for n, _ in MORE]
    paths = []
    for i, o in enumerate(offices):
        paths += cp.write(folder, cp.unit_files(A, o, stamp=f"2026112109{i:02d}00", broken=(o == offices[-1])))
    drop_files(a, "bulk-drop", paths)
    rows = lambda: a.find_elements(By.CSS_SELECTOR, "#bulk-table tbody tr")
    wait(a, lambda: len(rows()) == 5, 30, "five sends planned")
    body = text(a, "#bulk-table")
    for _, name in MORE:
        assert name in body, body
    assert "2026/11/21 09:00" in body or "2026-11-21 09:00" in body, body
    click(a, "#bulk-start")
    states = lambda: [e.text for e in a.find_elements(By.CSS_SELECTOR, "#bulk-table .gstate")]
    wait(a, lambda: sum("成功" in s for s in states()) == 4 and sum("失敗" in s for s in states()) == 1, 120,
         "成功 ×4 and 失敗 ×1")
    failed = [r for r in rows() if "失敗" in r.text][0]
    assert "ショートステイみなと" in failed.text, failed.text
    reason = failed.find_element(By.CSS_SELECTOR, ".error").text
    assert reason.strip() and "_" not in reason.split("詳細")[0], reason
    shot(a, "bulk")
    # Fixed: the same file again, good this time; only that send is left.
    fixed = cp.unit_files(A, offices[-1], stamp="2026112109%02d00" % (len(offices) - 1))
    upplan = [n for n in fixed if n.startswith("UPPLAN")][0]
    drop_files(a, "bulk-drop", cp.write(os.path.join(ctx.dir, "fixed"), {upplan: fixed[upplan]}))
    wait(a, lambda: len(a.find_elements(By.CSS_SELECTOR, "#bulk-table .group-select")) == 1, 30, "one send left")
    wait(a, lambda: "要修正" not in text(a, "#bulk-table"), 20, "the fixed send")
    click(a, "#bulk-start")
    wait(a, lambda: sum("成功" in s for s in states()) == 5, 60, "the fixed send to succeed")
    # Everything sent: the agent keeps no copy of the export (R13).
    wait(a, lambda: set(os.listdir(uploads)) <= before, 20, "the bulk's uploads to be deleted")


class _Evil(SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


def other_origin_and_host(ctx):
    b = ctx.b
    # Mail for B that another origin will try to download.
    cp.write(os.path.join(ctx.dir, "sec"), cp.unit_files(A, B, stamp="20261121130000"))
    ctx.A.agent("send", "--message", "別のサイトからは取れないはず", *sorted(
        os.path.join(ctx.dir, "sec", n) for n in os.listdir(os.path.join(ctx.dir, "sec"))))
    go(b, ctx.B.base(), "inbox")
    wait(b, lambda: row_with(b, "inbox-table", "別のサイトからは取れないはず") is not None, 30, "the mail")
    mid = row_with(b, "inbox-table", "別のサイトからは取れないはず").get_attribute("data-id")
    sent_before = len(api(ctx.a, "GET", "/api/sent")["body"]["items"])
    # A page from another origin, in the same signed-in browser.
    evil_dir = os.path.join(ctx.dir, "evil")
    os.makedirs(evil_dir)
    with open(os.path.join(evil_dir, "index.html"), "w") as f:
        f.write('<!DOCTYPE html><html><head><script src="evil.js"></script></head><body>evil</body></html>')
    agent = ctx.B.base()
    with open(os.path.join(evil_dir, "evil.js"), "w") as f:
        f.write("""
window.results = {};
const agent = %s, id = %s;
const tryIt = async (name, p) => { try { const r = await p; window.results[name] = 'status ' + r.status + ' ' + r.type + ' ' + (r.type === 'opaque' ? '' : await r.text()); } catch (e) { window.results[name] = 'blocked'; } };
Promise.all([
  tryIt('list', fetch(agent + '/api/inbox', {credentials: 'include'})),
  tryIt('fetch', fetch(agent + '/api/fetch', {method: 'POST', credentials: 'include', mode: 'no-cors', headers: {'Content-Type': 'text/plain'}, body: JSON.stringify({ids: [id]})})),
  tryIt('send', fetch(agent + '/api/drafts/delete', {method: 'POST', credentials: 'include', mode: 'no-cors', headers: {'Content-Type': 'text/plain'}, body: '{"id": "x"}'})),
  new Promise(res => { const s = new EventSource(agent + '/api/events', {withCredentials: true});
    s.onopen = () => { window.results.events = 'open'; s.close(); res(); };
    s.onerror = () => { window.results.events = 'blocked'; s.close(); res(); }; }),
]).then(() => { window.done = true; });
""" % (json.dumps(agent), json.dumps(mid)))
    handler = lambda *args: _Evil(*args, directory=evil_dir)
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        b.get(f"http://127.0.0.1:{srv.server_port}/index.html")
        wait(b, lambda: b.execute_script("return window.done === true"), 20, "the other origin's attempts")
        res = b.execute_script("return window.results")
        assert res["list"] == "blocked", res
        assert res["events"] == "blocked", res
    finally:
        srv.shutdown()
    go(b, ctx.B.base(), "inbox")
    wait(b, lambda: row_with(b, "inbox-table", "別のサイトからは取れないはず") is not None, 20, "the mail again")
    assert "未" in row_with(b, "inbox-table", "別のサイトからは取れないはず").text, "downloaded from another origin"
    # The same requests straight at the server, with B's session cookie.
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in b.get_cookies())
    host = f"127.0.0.1:{ctx.B.port}"

    def req(method, path, headers, body=None):
        c = http.client.HTTPConnection("127.0.0.1", ctx.B.port, timeout=10)
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        r.read()
        c.close()
        return r.status

    evil = "http://127.0.0.1:1"
    body = json.dumps({"ids": [mid]})
    assert req("POST", "/api/fetch", {"Host": host, "Cookie": cookie, "Origin": evil,
                                      "Content-Type": "application/json"}, body) == 403
    assert req("POST", "/api/fetch", {"Host": host, "Cookie": cookie, "Content-Type": "application/json"}, body) == 403
    assert req("GET", "/api/inbox", {"Host": host}) == 401
    assert req("GET", "/api/inbox", {"Host": f"attacker.example:{ctx.B.port}", "Cookie": cookie}) == 421
    assert req("GET", "/", {"Host": f"attacker.example:{ctx.B.port}", "Cookie": cookie}) == 421
    assert req("GET", "/api/inbox", {"Host": host, "Cookie": cookie}) == 200
    assert len(api(ctx.a, "GET", "/api/sent")["body"]["items"]) == sent_before


def english(ctx):
    a = ctx.a
    go(a, ctx.A.base(), "inbox")
    click(a, "#lang-switch")
    wait_text(a, "#nav", "Inbox")
    assert a.execute_script("return document.documentElement.lang") == "en"
    a.refresh()
    wait_text(a, "#nav", "Inbox")
    shot(a, "inbox-en")
    # Home's help in the staff's language.
    go(a, ctx.A.base(), "home")
    wait_text(a, "#screen-home", "Help and contact")
    wait_text(a, "#screen-home", "care software vendor")
    assert "お問い合わせください" not in text(a, "#screen-home"), text(a, "#screen-home")
    click(a, "#lang-switch")
    wait_text(a, "#nav", "受信一覧")
    wait_text(a, "#screen-home", "お問い合わせください")
    go(a, ctx.A.base(), "inbox")


def keyboard(ctx):
    """The menu and the file button are reached with Tab and work with Enter."""
    from selenium.webdriver.common.keys import Keys
    a = ctx.a
    go(a, ctx.A.base(), "home")
    body = a.find_element(By.TAG_NAME, "body")
    seen = []
    for _ in range(12):
        body.send_keys(Keys.TAB) if not seen else a.switch_to.active_element.send_keys(Keys.TAB)
        active = a.switch_to.active_element
        seen.append(f"<{active.tag_name}> {active.text}")
        if active.get_attribute("data-route") == "new":
            break
    assert a.switch_to.active_element.get_attribute("data-route") == "new", seen
    assert a.switch_to.active_element.text == "新規作成", seen
    a.switch_to.active_element.send_keys(Keys.ENTER)
    wait_text(a, "#h-new", "新規作成")
    # ファイルを選択 is reached with Tab too.
    for _ in range(6):
        if a.switch_to.active_element.get_attribute("id") == "compose-drop-choose":
            break
        a.switch_to.active_element.send_keys(Keys.TAB)
    assert a.switch_to.active_element.get_attribute("id") == "compose-drop-choose", a.switch_to.active_element.text


def reconnect(ctx):
    """B's open inbox keeps working after B's agent restarts on the same port."""
    b = ctx.b
    go(b, ctx.B.base(), "inbox")
    wait_text(b, "#conn", "接続中")
    b.execute_script("window.__sameLoad = true")
    port = ctx.B.port
    ctx.B.stop_serve()
    wait(b, lambda: "再接続" in text(b, "#conn") or "サインイン" in text(b, "#conn"), 20, "the page to notice")
    ctx.B.serve(port)
    wait(b, lambda: text(b, "#conn") == "接続中", 40, "the page to reconnect by itself")
    cp.write(os.path.join(ctx.dir, "rc"), cp.unit_files(A, B, stamp="20261121140000"))
    ctx.A.agent("send", "--message", "再起動のあとに届くもの", *sorted(
        os.path.join(ctx.dir, "rc", n) for n in os.listdir(os.path.join(ctx.dir, "rc"))))
    wait(b, lambda: row_with(b, "inbox-table", "再起動のあとに届くもの") is not None, 30, "new mail after the restart")
    assert b.execute_script("return window.__sameLoad === true")


def accessibility(ctx):
    a = ctx.a
    problems = []
    for route in ["home", "inbox", "sent", "new", "drafts", "bulk"]:
        go(a, ctx.A.base(), route)
        time.sleep(1)
        problems += axe(a, route)
    open_new(a, ctx.A.base())
    drop_files(a, "compose-drop", cp.write(os.path.join(ctx.dir, "a11y"), cp.unit_files(A, B, stamp="20261121150000")))
    wait_text(a, "#compose-status", "送信できます")
    problems += axe(a, "new with files")
    click(a, "#send")
    wait(a, lambda: dialog_open(a), 20, "the confirmation")
    problems += axe(a, "confirmation")
    click(a, "#confirm-cancel")
    assert not problems, "\n".join(problems)


def handoff(ctx):
    """A unit the care software exports into A's folder reaches B's open
    受信一覧 without anyone touching it; A's ホーム tells what went and what did not."""
    a, b = ctx.a, ctx.b
    go(b, ctx.B.base(), "inbox")
    files = cp.unit_files(A, B, stamp="20261121170000")
    cp.write(ctx.export_dir, files)
    cp.write(ctx.export_dir, {"計画書.pdf": b"%PDF-1.7\nplan"})  # no recipient in its name
    first = sorted(files)[0]
    wait(b, lambda: first in text(b, "#screen-inbox"), 60, "the handed-off send in B's inbox")

    def home_says(*needles):
        go(a, ctx.A.base(), "sent")
        go(a, ctx.A.base(), "home")  # ホーム is read anew when opened
        wait_text(a, "#screen-home", "送信待ち")
        return all(n in text(a, "#screen-home") for n in needles)

    wait(a, lambda: home_says("送信待ち 0 件・送信済 1 件", "送信できなかったファイルが 1 件"), 30, "ホーム's hand-off")
    assert os.path.exists(os.path.join(ctx.export_dir, "エラー", "計画書.txt"))
    assert sorted(os.listdir(os.path.join(ctx.export_dir, "送信済"))) == sorted(files)
    shot(a, "home")


ALL = [home, send_and_receive, pdf_alone_lookup, checks_say_what_to_do, drafts, bulk, other_origin_and_host,
       english, keyboard, handoff, accessibility, reconnect]
