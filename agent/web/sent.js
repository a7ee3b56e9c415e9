// 送信一覧: every send with its download status: 未 with the date it is
// kept until, 済 with the time and the verified download receipt, or
// 期限切れ. Updated by itself when a recipient downloads.
"use strict";
(function (T) {
  const el = T.el;
  T.screens = T.screens || {};
  let section = null, table = null, status = null;

  const showReceipt = async (it) => {
    let r;
    try { r = await T.api.get("/api/receipt?id=" + encodeURIComponent(it.id)); } catch (e) {
      T.setStatus(status, T.errorBox(e), "error");
      T.announce(T.errorText(e), "error");
      return;
    }
    const body = [
      el("p", { class: r.verified ? "ok-text" : "warn" }, el("strong", {}, r.verified ? "✓ " : "⚠ "), T.t(r.verified ? "receipt_ok" : "receipt_bad")),
      el("dl", { class: "facts" },
        el("dt", {}, T.t("recipient")), el("dd", {}, T.officeText(r.recipient_office || it.recipient_office, r.recipient_name || it.recipient_name)),
        el("dt", {}, T.t("receipt_time")), el("dd", {}, r.downloaded || it.downloaded || ""),
        r.user_id ? [el("dt", {}, T.t("receipt_user")), el("dd", {}, r.user_id)] : null,
        el("dt", {}, T.t("receipt_files")), el("dd", {}, el("ul", {}, (r.files || []).map((f) => el("li", {}, T.fileName(f))))))];
    const tech = [];
    if (r.certificate_serial) tech.push(el("p", {}, T.t("receipt_serial") + ": " + r.certificate_serial));
    for (const f of r.files || []) if (f.sha256) tech.push(el("p", { class: "digest" }, `${T.fileName(f)} ${T.t("digest")}: ${f.sha256}`));
    if (tech.length) body.push(el("details", {}, el("summary", {}, T.t("details")), ...tech));
    await T.dialog(T.t("receipt_title"), body, [{ label: T.t("close"), value: "close", primary: true }]);
  };

  const stateCell = (it) => {
    const td = el("td", { class: "state" });
    if (it.state === "downloaded" || (it.downloaded && it.state !== "expired" && it.state !== "pending")) {
      td.append(el("span", { class: "done" }, T.t("state_downloaded")), " ",
        el("span", {}, T.t("downloaded_at", { date: it.downloaded || "" })), " ");
      if (it.receipt !== false) {
        td.append(el("button", { type: "button", class: "small receipt-btn", onclick: () => showReceipt(it) }, T.t("receipt")));
      }
    } else if (it.state === "expired") {
      td.append(el("strong", { class: "expired" }, T.t("state_expired")));
    } else {
      td.append(el("strong", { class: "pending" }, T.t("state_pending")), " ",
        it.kept_until ? el("span", {}, T.t("kept_until", { date: it.kept_until })) : null);
    }
    return td;
  };

  const row = (it) => el("tr", { "data-id": it.id },
    el("td", { class: "nowrap" }, it.accepted || ""),
    el("td", {}, T.officeText(it.recipient_office, it.recipient_name)),
    el("td", { class: "msg" }, it.message || ""),
    el("td", { class: "files" }, el("ul", {}, (it.files || []).map((f) => el("li", {}, T.fileName(f))))),
    stateCell(it));

  const load = async () => {
    try {
      const r = await T.api.get("/api/sent");
      const items = r.items || [];
      if (!items.length) { table.replaceChildren(el("p", {}, T.t("sent_empty"))); return; }
      table.replaceChildren(el("table", { class: "list", id: "sent-table" },
        el("thead", {}, el("tr", {}, ["col_sent_at", "col_recipient", "col_message", "col_files", "col_download"]
          .map((k) => el("th", { scope: "col" }, T.t(k))))),
        el("tbody", {}, items.map(row))));
    } catch (e) {
      table.replaceChildren(T.errorBox(e));
    }
  };

  T.screens.sent = {
    show(s) {
      section = s;
      status = T.statusLine("sent-status");
      table = el("div", { class: "table-wrap" }, el("p", {}, T.t("loading")));
      s.replaceChildren(T.heading("h-sent", "sent_title"),
        el("div", { class: "toolbar" }, el("button", { type: "button", id: "sent-refresh", onclick: load }, T.t("refresh"))),
        status, table);
      load();
    },
    onEvent(type, d) {
      if (type === "downloaded" && d && (d.name || d.recipient_name)) {
        T.announce(T.t("downloaded_event", { name: d.name || d.recipient_name }), "ok");
      }
      if (section && !section.hidden && ["downloaded", "expired", "reconnected"].includes(type)) load();
    },
  };
})(window.Tayori);
