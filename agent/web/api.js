// The agent's local API (docs/api.md) as the screens use it: JSON calls
// that throw the API's error object, file uploads, and the event stream,
// which is opened again by itself whenever it drops (agent restarted).
"use strict";
(function (T) {
  const onUnauthorized = () => {
    T.announce(T.t("signin_again"), "error");
    const c = document.getElementById("conn");
    if (c) { c.textContent = T.t("signin_again"); c.className = "conn lost"; }
  };

  async function call(method, path, body, isForm) {
    let res;
    try {
      const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
      if (body !== undefined) {
        if (isForm) init.body = body;
        else { init.body = JSON.stringify(body); init.headers["Content-Type"] = "application/json"; }
      }
      res = await fetch(path, init);
    } catch (e) {
      throw { network: true, detail: String(e) };
    }
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (res.status === 401) onUnauthorized();
    if (!res.ok) {
      const err = (data && data.error) || {};
      if (typeof err === "string") throw { ja: err, en: err, status: res.status };
      throw Object.assign({ status: res.status }, err);
    }
    return data || {};
  }
  T.api = {
    get: (path) => call("GET", path),
    post: (path, body) => call("POST", path, body || {}),
    // Streams FILES (File objects) to the agent; resolves {upload, files}.
    upload: (files) => {
      const form = new FormData();
      for (const f of files) form.append("files", f, f.name);
      return call("POST", "/api/uploads", form, true);
    },
  };

  // Event stream: HANDLERS[type](data). Reconnects with a growing pause
  // when the agent goes away, and calls handlers.reconnected when back.
  T.events = (handlers) => {
    let src = null, wait = 1000, lost = false, timer = 0;
    const conn = document.getElementById("conn");
    const setConn = (ok) => {
      conn.textContent = ok ? T.t("conn_ok") : T.t("conn_lost");
      conn.className = "conn " + (ok ? "ok" : "lost");
    };
    const open = () => {
      timer = 0;
      src = new EventSource("/api/events");
      src.onopen = () => {
        wait = 1000;
        setConn(true);
        if (lost) { lost = false; T.announce(T.t("conn_back")); if (handlers.reconnected) handlers.reconnected(); }
      };
      src.onerror = () => {
        if (!lost) { lost = true; setConn(false); }
        if (src.readyState === EventSource.CLOSED) retry();
      };
      for (const type of ["mail", "downloaded", "expired", "bulk", "status"]) {
        src.addEventListener(type, (ev) => {
          let data = {};
          try { data = JSON.parse(ev.data || "{}"); } catch (e) { data = {}; }
          if (handlers[type]) handlers[type](data);
        });
      }
    };
    // The browser gives up on a stream answered with an error (the agent
    // restarting); open it again after a pause, checking the session first.
    const retry = () => {
      if (src) src.close();
      if (timer) return;
      timer = window.setTimeout(async () => {
        try {
          await T.api.get("/api/home");
        } catch (e) {
          if (e && e.status === 401) return; // a new sign-in is needed
        }
        open();
      }, wait);
      wait = Math.min(wait * 2, 10000);
    };
    open();
  };
})(window.Tayori);
