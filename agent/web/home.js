// ホーム: system status, the operator's notices, this office with its
// licence and certificate expiry (warned from 30 days before), unread mail,
// the program's version and where to get help.
"use strict";
(function (T) {
  const el = T.el;
  T.screens = T.screens || {};
  let section = null;

  const expiry = (date, days, warnKey, goneKey) => {
    const dd = el("dd", {}, date || "—");
    if (typeof days === "number") {
      dd.append(days < 0 ? T.t("expired_already") : T.t("days_left", { n: days }));
      if (days < 0) dd.append(el("p", { class: "warn" }, el("strong", {}, "⚠ "), T.t(goneKey)));
      else if (days <= 30) dd.append(el("p", { class: "warn" }, el("strong", {}, "⚠ "), T.t(warnKey)));
    }
    return dd;
  };

  const statusBox = (h) => {
    const s = h.system_status;
    const [a, b, cls] = s === "maintenance_announced" ? ["status_maint_1", "status_maint_2", "maint"]
      : s === "unreachable" ? ["status_unreach_1", "status_unreach_2", "down"]
        : ["status_normal_1", "status_normal_2", "normal"];
    return el("div", { class: "system " + cls, role: "status" }, el("p", { class: "big" }, T.t(a)), el("p", {}, T.t(b)));
  };

  const notices = (list) => {
    if (!list || !list.length) return el("p", {}, T.t("no_notices"));
    return el("ul", { class: "notices" }, list.map((n) => el("li", { class: n.kind === "maintenance" ? "maint" : "" },
      el("p", {}, el("span", { class: "tag" }, n.kind === "maintenance" ? T.t("notice_maint") : T.t("notice_info")),
        " ", el("strong", {}, n.title || ""), n.posted ? el("span", { class: "muted" }, "　" + n.posted) : null),
      n.body ? el("p", {}, n.body) : null)));
  };

  // Help in the staff's language: a text or an address.
  const helpNode = (h) => {
    const help = T.lang() === "en" ? h.help_en || h.help : h.help || h.help_en;
    if (!help) return "—";
    if (/^https?:\/\//.test(help)) return el("a", { href: help, rel: "noopener", target: "_blank" }, help);
    return help;
  };

  // The hand-off with the care software: folders, what waits, what failed.
  const handoffNode = (x) => {
    const rows = [];
    if (x.export_dir) {
      rows.push(el("p", {}, T.t("handoff_export"), "：", x.export_dir));
      rows.push(el("p", {}, T.t("handoff_counts", { waiting: x.waiting || 0, sent: x.sent || 0 }),
        x.last_export ? "（" + T.t("handoff_last", { at: x.last_export }) + "）" : ""));
      if (x.errors) rows.push(el("p", { class: "warn" }, el("strong", {}, T.t("attention")), " ", T.t("handoff_errors", { n: x.errors })));
    }
    if (x.import_dir) {
      rows.push(el("p", {}, T.t("handoff_import"), "：", x.import_dir));
      rows.push(el("p", {}, T.t("handoff_received", { n: x.received || 0 }),
        x.last_import ? "（" + T.t("handoff_last", { at: x.last_import }) + "）" : ""));
    }
    if (x.problem) rows.push(el("p", { class: "warn" }, el("strong", {}, T.t("attention")), " ", x.problem));
    return rows;
  };

  const render = (h) => {
    const dl = el("dl", { class: "facts" },
      el("dt", {}, T.t("office")), el("dd", {}, T.officeText(h.office, h.name)),
      el("dt", {}, T.t("licence")), expiry(h.licence_until, h.licence_days_left, "licence_warn", "licence_gone"),
      el("dt", {}, T.t("certificate")), expiry(h.certificate_until, h.certificate_days_left, "cert_warn", "cert_gone"),
      el("dt", {}, T.t("unread")), el("dd", {}, T.t("unread_n", { n: h.unread || 0 }), "　",
        el("a", { href: "#inbox" }, T.t("open_inbox"))),
      h.download_dir ? [el("dt", {}, T.t("download_dir")), el("dd", {}, h.download_dir)] : null,
      h.handoff ? [el("dt", {}, T.t("handoff")), el("dd", {}, handoffNode(h.handoff))] : null,
      el("dt", {}, T.t("version")), el("dd", {}, h.version || "—"),
      el("dt", {}, T.t("help")), el("dd", {}, helpNode(h)));
    section.replaceChildren(T.heading("h-home", "home_title"), statusBox(h),
      el("h2", {}, T.t("notices")), notices(h.notices), el("h2", {}, T.t("office")), dl);
    T.setUnread(h.unread || 0);
  };

  const load = async () => {
    try { render(await T.api.get("/api/home")); } catch (e) {
      section.replaceChildren(T.heading("h-home", "home_title"), T.errorBox(e));
    }
  };

  T.screens.home = {
    show(s) {
      section = s;
      if (!s.firstChild) s.append(T.heading("h-home", "home_title"), el("p", {}, T.t("loading")));
      load();
    },
    onEvent(type) {
      if (section && !section.hidden && (type === "mail" || type === "status" || type === "reconnected")) load();
    },
  };
})(window.Tayori);
