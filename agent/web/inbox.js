// 受信一覧: what other offices sent this office. Mail not yet downloaded
// (未) stands out, new mail appears by itself (event stream), and データ取得
// saves the chosen messages into the office's download folder.
"use strict";
(function (T) {
  const el = T.el;
  T.screens = T.screens || {};
  let section = null, items = [], selected = new Set(), status = null, table = null;

  const stateCell = (it) => {
    const cell = el("td", { class: "state" });
    if (it.state === "downloaded" || it.downloaded && it.state !== "pending" && it.state !== "expired") {
      cell.append(el("span", { class: "done" }, T.t("state_downloaded")));
    } else if (it.state === "expired") {
      cell.append(el("span", { class: "expired" }, T.t("state_expired")));
    } else {
      cell.append(el("strong", { class: "pending" }, T.t("state_pending")));
      if (it.new) cell.append(" ", el("span", { class: "new" }, "★ " + T.t("new_mark")));
    }
    return cell;
  };

  const filesCell = (it) => {
    const td = el("td", { class: "files" }, el("ul", {}, (it.files || []).map((f) =>
      el("li", {}, el("span", { class: "fname" }, T.fileName(f)), " ",
        el("span", { class: "kind" }, T.kindLabel(f.kind))))));
    if (it.problems && it.problems.length) {
      td.append(el("details", { class: "problems-box" }, el("summary", {}, "⚠ " + T.t("problems_in")), T.findingList(it.problems)));
    }
    if (it.saved_paths && it.saved_paths.length) {
      td.append(el("p", { class: "saved" }, T.t("saved_to") + ": " + it.saved_paths.join("、")));
    }
    return td;
  };

  const row = (it) => {
    const pending = it.state !== "downloaded" && it.state !== "expired";
    const label = `${it.accepted || ""} ${it.sender_name || it.sender_office || ""}`;
    const box = el("input", { type: "checkbox", "aria-label": T.t("select_row", { name: label }), disabled: !pending,
      checked: selected.has(it.id) && pending,
      onchange: (e) => { if (e.target.checked) selected.add(it.id); else selected.delete(it.id); } });
    return el("tr", { class: pending ? "unread" : "", "data-id": it.id },
      el("td", {}, box), el("td", { class: "nowrap" }, it.accepted || ""),
      el("td", {}, T.officeText(it.sender_office, it.sender_name)),
      el("td", { class: "msg" }, it.message || ""), filesCell(it), stateCell(it));
  };

  const renderTable = () => {
    if (!items.length) { table.replaceChildren(el("p", {}, T.t("inbox_empty"))); return; }
    table.replaceChildren(el("table", { class: "list", id: "inbox-table" },
      el("caption", { class: "legend" }, T.t("inbox_legend")),
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, T.t("col_select")), el("th", { scope: "col" }, T.t("col_received")),
        el("th", { scope: "col" }, T.t("col_sender")), el("th", { scope: "col" }, T.t("col_message")),
        el("th", { scope: "col" }, T.t("col_files") + " / " + T.t("col_kind")), el("th", { scope: "col" }, T.t("col_state")))),
      el("tbody", {}, items.map(row))));
  };

  const load = async () => {
    try {
      const r = await T.api.get("/api/inbox");
      items = r.items || [];
      const ids = new Set(items.map((i) => i.id));
      for (const id of [...selected]) if (!ids.has(id)) selected.delete(id);
      renderTable();
      T.setUnread(items.filter((i) => i.state === "pending").length);
    } catch (e) {
      table.replaceChildren(T.errorBox(e));
    }
  };

  const setAll = (on) => {
    selected.clear();
    if (on) for (const it of items) if (it.state === "pending") selected.add(it.id);
    renderTable();
  };

  const fetchSelected = async (btn) => {
    const ids = items.filter((i) => selected.has(i.id)).map((i) => i.id);
    if (!ids.length) { T.setStatus(status, T.t("fetch_none"), "error"); T.announce(T.t("fetch_none")); return; }
    btn.disabled = true;
    T.setStatus(status, T.t("fetching"));
    try {
      const r = await T.api.post("/api/fetch", { ids });
      const results = r.results || [];
      const ok = results.filter((x) => x.ok), ng = results.filter((x) => !x.ok);
      const parts = [];
      if (ok.length) {
        const paths = ok.flatMap((x) => x.files || []);
        parts.push(el("p", {}, T.t("fetched_n", { n: ok.length })), el("ul", { class: "paths" }, paths.map((p) => el("li", {}, p))));
      }
      if (ng.length) {
        parts.push(el("p", {}, T.t("fetch_failed")));
        for (const x of ng) parts.push(T.errorBox(typeof x.error === "object" ? x.error : { ja: x.error, en: x.error }));
      }
      T.setStatus(status, parts, ng.length ? "error" : "ok");
      T.announce(ng.length ? T.t("fetch_failed") : T.t("fetched_n", { n: ok.length }), ng.length ? "error" : "ok");
      selected.clear();
    } catch (e) {
      T.setStatus(status, T.errorBox(e), "error");
      T.announce(T.errorText(e), "error");
    }
    btn.disabled = false;
    load();
  };

  const render = () => {
    status = T.statusLine("inbox-status");
    table = el("div", { class: "table-wrap" }, el("p", {}, T.t("loading")));
    const fetchBtn = el("button", { type: "button", class: "primary", id: "fetch-btn", onclick: () => fetchSelected(fetchBtn) }, T.t("fetch"));
    section.replaceChildren(T.heading("h-inbox", "inbox_title"),
      el("div", { class: "toolbar" },
        el("button", { type: "button", id: "select-all", onclick: () => setAll(true) }, T.t("select_all")),
        el("button", { type: "button", id: "select-none", onclick: () => setAll(false) }, T.t("select_none")),
        el("button", { type: "button", id: "inbox-refresh", onclick: load }, T.t("refresh")), fetchBtn),
      status, table);
  };

  T.screens.inbox = {
    show(s) { section = s; render(); load(); },
    onEvent(type) {
      if (!section || section.hidden) return;
      if (["mail", "downloaded", "expired", "reconnected"].includes(type)) load();
    },
  };
})(window.Tayori);
