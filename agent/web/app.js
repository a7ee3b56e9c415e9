// The single page: hash routes (#home, #inbox, #sent, #new, #drafts,
// #bulk, #draft/ID), the menu, the language switch and the event stream,
// whose events go to every screen that wants them.
"use strict";
(function (T) {
  T.screens = T.screens || {};
  let current = null;

  const route = () => {
    const hash = (location.hash || "#home").slice(1);
    const [name, arg] = hash.split("/");
    const screenName = name === "draft" ? "new" : name;
    const screen = T.screens[screenName] ? screenName : "home";
    document.querySelectorAll(".screen").forEach((s) => { s.hidden = s.id !== "screen-" + screen; });
    document.querySelectorAll("#nav a").forEach((a) => {
      if (a.dataset.route === screen && !(name === "draft")) a.setAttribute("aria-current", "page");
      else if (a.dataset.route === "drafts" && name === "draft") a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    });
    const section = document.getElementById("screen-" + screen);
    const changed = current !== hash;
    current = hash;
    T.screens[screen].show(section, name === "draft" ? { draft: arg, opened: changed } : { opened: changed });
    const title = T.t("nav_" + (name === "draft" ? "drafts" : screen));
    document.title = title + " | " + T.t("app_title");
    if (changed) {
      const h = section.querySelector("h1");
      if (h && document.activeElement && document.activeElement.closest("#nav")) h.focus();
    }
  };
  T.rerender = route;
  T.go = (hash) => {
    if (location.hash === "#" + hash) route();
    else location.hash = hash;
  };

  T.setUnread = (n) => {
    const b = document.getElementById("unread-badge");
    if (n > 0) { b.hidden = false; b.textContent = T.lang() === "en" ? ` (${n} new)` : `（未 ${n} 件）`; }
    else b.hidden = true;
  };
  T.refreshUnread = async () => {
    try { const h = await T.api.get("/api/home"); T.setUnread(h.unread || 0); } catch (e) { /* shown elsewhere */ }
  };

  const broadcast = (type, data) => {
    for (const s of Object.values(T.screens)) if (s.onEvent) s.onEvent(type, data);
  };

  document.addEventListener("DOMContentLoaded", () => {
    T.applyStatic();
    const sw = document.getElementById("lang-switch");
    const label = () => { sw.textContent = T.t("lang_switch"); sw.lang = T.lang() === "ja" ? "en" : "ja"; };
    label();
    sw.addEventListener("click", () => {
      T.setLang(T.lang() === "ja" ? "en" : "ja");
      T.applyStatic();
      label();
      T.refreshUnread();
      route();
    });
    window.addEventListener("hashchange", route);
    route();
    T.refreshUnread();
    T.events({
      mail: (d) => {
        T.announce(d && d.name ? T.t("new_mail", { name: d.name, n: (d.files || []).length || d.files || 0 }) : T.t("new_mail_noname"));
        T.refreshUnread();
        broadcast("mail", d);
      },
      downloaded: (d) => broadcast("downloaded", d),
      expired: (d) => broadcast("expired", d),
      bulk: (d) => broadcast("bulk", d),
      status: (d) => broadcast("status", d),
      reconnected: () => { T.refreshUnread(); broadcast("reconnected", {}); },
    });
  });
})(window.Tayori);
