// 下書き一覧: each draft with 送信可 or 要修正 (and what to fix); open it
// to change it, send it, or delete it.
"use strict";
(function (T) {
  const el = T.el;
  T.screens = T.screens || {};
  let section = null, status = null, table = null;

  const send = async (d) => {
    const list = (xs) => (xs.length ? el("ul", {}, xs.map((n) => el("li", {}, n))) : T.t("none"));
    const names = (d.files || []).map(T.fileName);
    const choice = await T.dialog(T.t("confirm_title"), [el("dl", { class: "facts confirm" },
      el("dt", {}, T.t("recipient")), el("dd", {}, T.officeText(d.to, d.recipient_name)),
      el("dt", {}, T.t("files_csv")), el("dd", {}, list(names.filter(T.isCsv))),
      el("dt", {}, T.t("files_other")), el("dd", {}, list(names.filter((n) => !T.isCsv(n)))),
      el("dt", {}, T.t("message")), el("dd", { class: "msg" }, d.message || T.t("none"))),
    el("p", { class: "question" }, T.t("confirm_q"))], [
      { label: T.t("cancel"), value: null, id: "confirm-cancel" },
      { label: T.t("send"), value: "send", primary: true, id: "confirm-send" }]);
    if (choice !== "send") return;
    T.setStatus(status, T.t("sending"));
    try {
      const r = await T.api.post("/api/drafts/send", { id: d.id });
      const text = T.t("sent_ok", { name: T.officeText(r.recipient, r.recipient_name), time: r.accepted || "" });
      T.setStatus(status, text, "ok");
      T.announce(text, "ok");
    } catch (e) {
      T.setStatus(status, T.errorBox(e), "error");
      T.announce(T.errorText(e), "error");
    }
    load();
  };

  const remove = async (d) => {
    const choice = await T.dialog(T.t("delete_title"), [el("p", {}, T.officeText(d.to, d.recipient_name)),
      el("p", { class: "question" }, T.t("delete_q"))], [
      { label: T.t("cancel"), value: null, id: "delete-cancel" },
      { label: T.t("delete"), value: "delete", primary: true, id: "delete-ok" }]);
    if (choice !== "delete") return;
    try {
      await T.api.post("/api/drafts/delete", { id: d.id });
      T.setStatus(status, T.t("deleted"), "ok");
      T.announce(T.t("deleted"), "ok");
    } catch (e) {
      T.setStatus(status, T.errorBox(e), "error");
    }
    load();
  };

  const row = (d) => {
    const who = T.officeText(d.to, d.recipient_name) || "—";
    const ready = el("td", { class: "state" }, d.ready ? el("span", { class: "done" }, "✓ " + T.t("ready"))
      : el("strong", { class: "pending" }, "⚠ " + T.t("needs_fix")));
    if (!d.ready && d.problems && d.problems.length) ready.append(T.findingList(d.problems));
    if (d.bulk) ready.append(el("p", { class: "muted" }, T.t("from_bulk")));
    return el("tr", { "data-id": d.id },
      el("td", { class: "nowrap" }, d.updated || ""), el("td", {}, who),
      el("td", { class: "msg" }, d.message || ""),
      el("td", { class: "files" }, el("ul", {}, (d.files || []).map((f) => el("li", {}, T.fileName(f))))),
      ready,
      el("td", { class: "actions" },
        el("a", { href: "#draft/" + encodeURIComponent(d.id), class: "button small", "aria-label": `${T.t("open")}: ${who}` }, T.t("open")),
        el("button", { type: "button", class: "small primary draft-send", disabled: !d.ready, "aria-label": `${T.t("send")}: ${who}`, onclick: () => send(d) }, T.t("send")),
        el("button", { type: "button", class: "small draft-delete", "aria-label": `${T.t("delete")}: ${who}`, onclick: () => remove(d) }, T.t("delete"))));
  };

  const load = async () => {
    try {
      const r = await T.api.get("/api/drafts");
      const items = r.items || [];
      if (!items.length) { table.replaceChildren(el("p", {}, T.t("drafts_empty"))); return; }
      table.replaceChildren(el("table", { class: "list", id: "drafts-table" },
        el("thead", {}, el("tr", {}, ["col_updated", "col_recipient", "col_message", "col_files", "col_ready", "col_edit"]
          .map((k) => el("th", { scope: "col" }, T.t(k))))),
        el("tbody", {}, items.map(row))));
    } catch (e) {
      table.replaceChildren(T.errorBox(e));
    }
  };

  T.screens.drafts = {
    show(s) {
      section = s;
      status = T.statusLine("drafts-status");
      table = el("div", { class: "table-wrap" }, el("p", {}, T.t("loading")));
      s.replaceChildren(T.heading("h-drafts", "drafts_title"),
        el("div", { class: "toolbar" }, el("a", { href: "#new", class: "button" }, T.t("nav_new")),
          el("button", { type: "button", onclick: load }, T.t("refresh"))), status, table);
      load();
    },
  };
})(window.Tayori);
