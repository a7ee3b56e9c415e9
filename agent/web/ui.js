// Small building blocks shared by every screen: elements, the aria-live
// status line, errors with their 詳細 behind a toggle, and the modal dialog.
"use strict";
(function (T) {
  // el("button", {type: "button", class: "x", onclick: f}, "text", child...)
  T.el = (tag, attrs, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (v === true) e.setAttribute(k, "");
      else e.setAttribute(k, v);
    }
    for (const c of kids.flat()) {
      if (c === undefined || c === null || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  };
  const el = T.el;

  // Says TEXT in the live region (read out by screen readers) and in the
  // screen's own status line when it has one.
  T.announce = (text, kind) => {
    const live = document.getElementById("live");
    live.textContent = "";
    live.className = "live " + (kind || "info");
    window.setTimeout(() => { live.textContent = text; }, 30);
    // The words stay long enough to read, then leave the page clear.
    window.clearTimeout(T.announce.timer);
    T.announce.timer = window.setTimeout(() => { live.textContent = ""; }, 8000);
  };

  // A staff-facing error: the text in the user's language and the technical
  // detail only behind 詳細. ERR is an API error object or an Error.
  T.errorText = (err) => {
    if (!err) return T.t("unknown_error");
    if (typeof err === "string") return err;
    if (err.network) return T.t("network_error");
    return T.pick(err) || T.t("unknown_error");
  };
  T.errorBox = (err, extra) => {
    const box = el("div", { class: "error", role: "alert" }, el("p", {}, el("strong", {}, "⚠ "), T.errorText(err)));
    if (extra) box.append(extra);
    if (err && typeof err === "object" && err.detail) {
      box.append(el("details", {}, el("summary", {}, T.t("details")), el("p", { class: "detail", lang: "en" }, err.detail)));
    }
    return box;
  };

  // A finding {file, line, column, ja, en}: where it is and what to do.
  T.findingItem = (p) => {
    const where = [];
    if (p.file) where.push(p.file);
    if (p.line && p.column) where.push(T.t("line_col", { line: p.line, col: p.column }));
    else if (p.line) where.push(T.t("line_only", { line: p.line }));
    return el("li", {}, where.length ? el("span", { class: "where" }, where.join(" ") + ": ") : null,
      T.pick(p) || p.message || "");
  };
  T.findingList = (problems) => el("ul", { class: "problems" }, (problems || []).map(T.findingItem));

  // "20261121093000" → "2026/11/21 09:30:00"; other text unchanged.
  T.stampText = (s) => {
    const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(s || "");
    return m ? `${m[1]}/${m[2]}/${m[3]} ${m[4]}:${m[5]}:${m[6]}` : (s || "");
  };
  T.kindLabel = (kind) => {
    if (kind === "registration") return T.t("kind_registration");
    if (kind === "deletion") return T.t("kind_deletion");
    return T.t("kind_other");
  };
  // File kind from a name alone (before anything is checked).
  T.isCsv = (name) => /\.csv$/i.test(name);
  T.fileName = (f) => (typeof f === "string" ? f : f.name || "").split(/[\\/]/).pop();
  T.officeText = (number, name) => (name ? `${name}（${number}）` : number || "");
  T.sizeText = (n) => (n >= 1048576 ? (n / 1048576).toFixed(1) + " MB" : Math.max(1, Math.round(n / 1024)) + " KB");

  // The modal dialog. Resolves with the value of the button pressed (or
  // null when closed with Esc).
  T.dialog = (title, body, buttons) => new Promise((resolve) => {
    const d = document.getElementById("dialog");
    const opener = document.activeElement;
    document.getElementById("dialog-title").textContent = title;
    const b = document.getElementById("dialog-body");
    b.replaceChildren(...[].concat(body));
    const bs = document.getElementById("dialog-buttons");
    bs.replaceChildren();
    let done = false;
    const finish = (v) => {
      if (done) return;
      done = true;
      if (d.open) d.close();
      if (opener && opener.focus && document.contains(opener)) opener.focus();
      resolve(v);
    };
    for (const btn of buttons) {
      bs.append(el("button", { type: "button", class: btn.primary ? "primary" : "", id: btn.id, onclick: () => finish(btn.value) }, btn.label));
    }
    d.onclose = () => finish(null);
    d.showModal();
    const first = bs.querySelector(".primary") || bs.querySelector("button");
    if (first) first.focus();
  });

  // A screen heading with its id for aria-labelledby.
  T.heading = (id, key) => el("h1", { id, tabindex: "-1" }, T.t(key));
  T.statusLine = (id) => el("div", { class: "status-line", id, role: "status" });
  T.setStatus = (node, text, kind) => {
    if (!node) return;
    node.className = "status-line " + (kind || "info");
    node.replaceChildren(...[].concat(text));
  };
})(window.Tayori);
