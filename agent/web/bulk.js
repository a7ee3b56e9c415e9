// 一括送信: a whole export dropped at once, split by the agent into sends
// (one per recipient and send unit) with office names and export times;
// per send, PDFs etc. and a message (編集, bulk_edit.js); send all or some
// with live status per send; 中断. Sent rows can be cleared; failed and
// stopped ones stay for another try.
"use strict";
(function (T) {
  const el = T.el;
  T.screens = T.screens || {};
  const B = {
    section: null, files: new Map(), attach: {}, messages: {}, messageAll: "", plan: null, groups: [],
    finished: [], selected: new Set(), running: false, started: new Set(), seq: 0, lastEvent: 0, poll: 0,
  };
  T.bulkState = B;

  const key = (g) => `${g.to}|${g.unit}|${g.stamp || g.exported || ""}`;
  const node = (id) => document.getElementById(id);
  // The names of a group's files: from the plan, or (when it gives only a
  // count) the CSVs whose standard name carries its recipient and time.
  B.groupFiles = (g) => {
    if (Array.isArray(g.files)) return g.files.map(T.fileName);
    const csv = [...B.files.keys()].filter((n) => T.isCsv(n) && n.includes("_" + g.to + "_") && (!g.stamp || n.includes(g.stamp)));
    return [...csv, ...(B.attach[g.to] || [])];
  };

  // ---- planning: everything still to send goes up again as one upload
  B.replan = async () => {
    const seq = ++B.seq;
    const status = node("bulk-status");
    if (!B.files.size) { B.plan = null; B.groups = []; render(); return; }
    T.setStatus(status, T.t("planning"));
    try {
      if (B.plan && B.plan.bulk) {
        // The earlier plan goes with its upload (refused while it sends).
        T.api.post("/api/bulk/discard", { bulk: B.plan.bulk }).catch(() => {});
      }
      const up = await T.api.upload([...B.files.values()]);
      const attach = {};
      for (const [o, names] of Object.entries(B.attach)) if (names.length) attach[o] = names;
      const messages = {};
      for (const [o, m] of Object.entries(B.messages)) if (m) messages[o] = m;
      const r = await T.api.post("/api/bulk/plan", { upload: up.upload, message: B.messageAll, messages, attach });
      if (seq !== B.seq) return;
      B.plan = r;
      // A planned group is 未送信 until it is started; one that failed its
      // checks is 失敗 from the start and is not sent.
      B.groups = (r.groups || []).map((g) => Object.assign({}, g, { state: g.state === "waiting" ? "" : g.state || "" }));
      const keys = new Set(B.groups.map(key));
      B.selected = new Set([...B.selected].filter((k) => keys.has(k)));
      // A group an earlier run already sent is shown, not sent again.
      for (const g of B.groups) if ((!B.known || !B.known.has(key(g))) && g.state !== "success") B.selected.add(key(g));
      B.known = keys;
      B.started.clear();
      render();
      T.setStatus(node("bulk-status"), T.t("groups_n", { n: B.groups.length }));
    } catch (e) {
      if (seq !== B.seq) return;
      render();
      T.setStatus(node("bulk-status"), T.errorBox(e), "error");
      T.announce(T.errorText(e), "error");
    }
  };

  const addFiles = (fs) => {
    for (const f of fs) {
      B.files.set(f.name, f);
    }
    B.replan();
  };

  // ---- live status
  const stateText = (g) => {
    switch (g.state) {
      case "waiting": return T.t("g_waiting");
      case "sending": {
        const p = g.total ? Math.floor((100 * (g.done || 0)) / g.total) : 0;
        return `${T.t("g_sending")} ${T.t("percent", { p })}`;
      }
      case "success": return T.t(g.already_sent ? "g_already" : "g_succeeded");
      case "failed": return T.t("g_failed");
      case "interrupted": return T.t("g_interrupted");
      default: return T.t("g_unsent");
    }
  };
  const errorOf = (g) => (g.error ? (typeof g.error === "object" ? g.error : { ja: g.error, en: g.error }) : null);

  B.applyGroup = (d) => {
    if (!B.plan || (d.bulk && d.bulk !== B.plan.bulk)) return;
    const g = B.groups.find((x) => x.index === d.index);
    if (!g) return;
    B.lastEvent = Date.now();
    const before = g.state;
    Object.assign(g, d);
    if (g.state === "success" && before !== "success") {
      for (const n of B.groupFiles(g)) B.files.delete(n);
    }
    updateRow(g);
    if (before !== g.state && g.state !== "sending") T.announce(`${g.name || g.to}: ${stateText(g)}`, g.state === "failed" ? "error" : "info");
    checkFinished();
  };

  const checkFinished = () => {
    if (!B.running) return;
    const mine = B.groups.filter((g) => B.started.has(g.index));
    if (mine.some((g) => g.state === "waiting" || g.state === "sending")) return;
    B.running = false;
    window.clearInterval(B.poll);
    const count = (s) => mine.filter((g) => g.state === s).length;
    const text = T.t("bulk_done", { ok: count("success"), ng: count("failed"), cut: count("interrupted") });
    const parts = [el("p", {}, text)];
    if (count("failed") || count("interrupted")) parts.push(el("p", {}, T.t("bulk_left")));
    for (const g of mine) if (g.state === "success") B.finished.push(g);
    B.groups = B.groups.filter((g) => g.state !== "success");
    render();
    T.setStatus(node("bulk-status"), parts, count("failed") || count("interrupted") ? "error" : "ok");
    T.announce(text, "ok");
  };

  const refreshFromAgent = async () => {
    if (!B.plan) return;
    try {
      const r = await T.api.get("/api/bulk?bulk=" + encodeURIComponent(B.plan.bulk));
      for (const g of r.groups || []) B.applyGroup(Object.assign({ bulk: B.plan.bulk }, g));
    } catch (e) { /* the next event or look will tell */ }
  };

  const start = async () => {
    const picked = B.groups.filter((g) => B.selected.has(key(g)));
    // Groups that failed their checks cannot go until their files are fixed.
    const chosen = picked.filter((g) => !(g.problems && g.problems.length) && g.state !== "success");
    if (!chosen.length) {
      const why = picked.length ? T.t("bulk_fix_first") : T.t("bulk_none");
      T.setStatus(node("bulk-status"), "⚠ " + why, "error");
      T.announce(why, "error");
      return;
    }
    B.running = true;
    B.started = new Set(chosen.map((g) => g.index));
    for (const g of chosen) { g.state = "waiting"; g.error = null; g.done = 0; }
    render();
    try {
      await T.api.post("/api/bulk/start", { bulk: B.plan.bulk, groups: chosen.map((g) => g.index) });
      T.setStatus(node("bulk-status"), T.t("bulk_started", { n: chosen.length }));
      T.announce(T.t("bulk_started", { n: chosen.length }));
      B.lastEvent = Date.now();
      // The events carry the progress; look at the agent only when they go quiet.
      B.poll = window.setInterval(() => { if (Date.now() - B.lastEvent > 3000) refreshFromAgent(); }, 1500);
    } catch (e) {
      B.running = false;
      for (const g of chosen) g.state = "";
      render();
      T.setStatus(node("bulk-status"), T.errorBox(e), "error");
      T.announce(T.errorText(e), "error");
    }
  };

  const cancel = async () => {
    if (!B.plan) return;
    try {
      await T.api.post("/api/bulk/cancel", { bulk: B.plan.bulk });
      T.setStatus(node("bulk-status"), T.t("bulk_cancelled"));
      T.announce(T.t("bulk_cancelled"));
      refreshFromAgent();
    } catch (e) {
      T.setStatus(node("bulk-status"), T.errorBox(e), "error");
    }
  };

  const removeSelected = async () => {
    const chosen = B.groups.filter((g) => B.selected.has(key(g)));
    if (!chosen.length) return;
    const ok = await T.dialog(T.t("delete"), [el("p", {}, T.t("remove_groups_q"))],
      [{ label: T.t("cancel"), value: null }, { label: T.t("delete"), value: "yes", primary: true, id: "remove-ok" }]);
    if (ok !== "yes") return;
    for (const g of chosen) for (const n of B.groupFiles(g)) B.files.delete(n);
    B.replan();
  };

  // ---- table
  const resultCell = (g) => {
    const td = el("td", { class: "result", id: "result-" + g.index });
    fillResult(td, g);
    return td;
  };
  const fillResult = (td, g) => {
    const cls = { success: "done", failed: "failed", interrupted: "failed", sending: "sending" }[g.state] || "";
    td.replaceChildren(el("strong", { class: "gstate " + cls }, (g.state === "failed" ? "⚠ " : g.state === "success" ? "✓ " : "") + stateText(g)));
    if (g.state === "sending") {
      td.append(el("progress", { max: g.total || 1, value: g.done || 0, "aria-label": stateText(g) }));
    }
    const err = errorOf(g);
    if (err && (g.state === "failed" || g.state === "interrupted")) td.append(T.errorBox(err));
    else if (g.problems && g.problems.length && g.state !== "success") {
      // What to fix; the file each finding is in is marked in the files column.
      const box = T.errorBox({ ja: T.t("check_ng"), en: T.t("check_ng") });
      box.append(el("ul", { class: "problems" }, g.problems.map((p) => el("li", {},
        p.line ? el("span", { class: "where" }, (p.column ? T.t("line_col", { line: p.line, col: p.column }) : T.t("line_only", { line: p.line })) + ": ") : null,
        T.pick(p)))));
      td.append(box);
    }
  };
  const updateRow = (g) => {
    const td = node("result-" + g.index);
    if (td) fillResult(td, g);
    const run = node("bulk-start"), stop = node("bulk-cancel");
    if (run) run.disabled = B.running;
    if (stop) stop.disabled = !B.running;
  };

  const row = (g, done) => {
    const name = g.name || T.t("not_registered_name");
    const files = B.groupFiles(g);
    const box = done ? "" : el("input", { type: "checkbox", class: "group-select", checked: B.selected.has(key(g)),
      "aria-label": T.t("select_row", { name: `${name} ${T.stampText(g.stamp) || g.exported || ""}` }), disabled: B.running,
      onchange: (e) => { if (e.target.checked) B.selected.add(key(g)); else B.selected.delete(key(g)); } });
    return el("tr", { class: done ? "finished" : "", "data-to": g.to },
      el("td", {}, box), el("td", {}, el("span", {}, name), el("br"), el("span", { class: "muted" }, g.to || "")),
      el("td", { class: "nowrap" }, T.stampText(g.stamp) || g.exported || ""), el("td", {}, T.unitTitle(g.unit)),
      el("td", { class: "msg" }, g.message !== undefined ? g.message : (B.messages[g.to] || B.messageAll || "")),
      el("td", { class: "files" }, el("ul", {}, files.map((n) => el("li", {}, el("span", { class: "fname" }, n), " ",
        el("span", { class: "kind" }, T.isCsv(n) ? (/^DLT/i.test(n) ? T.t("kind_deletion") : T.t("kind_registration")) : T.t("kind_other")),
        !done && g.state !== "success" && (g.problems || []).some((p) => p.file === n)
          ? [" ", el("strong", { class: "file-ng" }, "⚠ " + T.t("needs_fix"))] : null)))),
      done ? el("td", { class: "result" }, el("strong", { class: "gstate done" }, "✓ " + T.t("g_succeeded"))) : resultCell(g),
      el("td", {}, done ? "" : el("button", { type: "button", class: "small group-edit", disabled: B.running,
        "aria-label": T.t("edit_group", { name }), onclick: () => T.bulkEdit(g) }, T.t("edit"))));
  };

  const render = () => {
    const s = B.section;
    if (!s) return;
    const status = node("bulk-status");
    const keep = status ? [...status.childNodes] : [];
    const keepClass = status ? status.className : "";
    const msgAll = el("textarea", { id: "bulk-message", rows: "2" });
    msgAll.value = B.messageAll;
    msgAll.addEventListener("change", () => { B.messageAll = msgAll.value; B.replan(); });
    const rows = [...B.groups.map((g) => row(g, false)), ...B.finished.map((g) => row(g, true))];
    const table = rows.length ? el("div", { class: "table-wrap" }, el("table", { class: "list", id: "bulk-table" },
      el("thead", {}, el("tr", {}, ["col_select", "col_office_name", "col_stamp", "unit", "col_message", "col_files", "col_result", "col_edit"]
        .map((k) => el("th", { scope: "col" }, T.t(k))))), el("tbody", {}, rows))) : el("p", {}, T.t("bulk_empty"));
    s.replaceChildren(T.heading("h-bulk", "bulk_title"), el("p", { class: "hint" }, T.t("bulk_hint")),
      T.dropZone({ id: "bulk-drop", hint: T.t("allowed_types"), onFiles: addFiles }),
      el("div", { class: "field" }, el("label", { for: "bulk-message" }, T.t("message_all")), msgAll),
      el("div", { class: "toolbar" },
        el("button", { type: "button", id: "bulk-all", disabled: B.running, onclick: () => { B.groups.forEach((g) => B.selected.add(key(g))); render(); } }, T.t("select_all")),
        el("button", { type: "button", id: "bulk-none", disabled: B.running, onclick: () => { B.selected.clear(); render(); } }, T.t("select_none")),
        el("button", { type: "button", id: "bulk-remove", disabled: B.running, onclick: removeSelected }, T.t("delete")),
        B.finished.length ? el("button", { type: "button", id: "bulk-clear", onclick: () => { B.finished = []; render(); } }, T.t("clear_done")) : null),
      el("div", { class: "status-line " + keepClass.replace("status-line", "").trim(), id: "bulk-status", role: "status" }, ...keep),
      table,
      el("div", { class: "buttons" },
        el("button", { type: "button", id: "bulk-cancel", disabled: !B.running, onclick: cancel }, T.t("interrupt")),
        el("button", { type: "button", id: "bulk-start", class: "primary", disabled: B.running || !B.groups.length, onclick: start }, T.t("bulk_send"))));
  };
  B.render = render;

  T.screens.bulk = {
    show(s) { B.section = s; render(); },
    onEvent(type, d) {
      if (type === "bulk" && d) B.applyGroup(d);
      if (type === "reconnected" && B.running) refreshFromAgent();
    },
  };
})(window.Tayori);
