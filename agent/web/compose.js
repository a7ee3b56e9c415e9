// 新規作成 and the editing of a draft (#draft/ID): files by drop or
// ファイルを選択, the recipient from the standard CSV names (or typed, for
// PDFs etc. alone, and looked up at once), a message, every check before
// anything leaves the PC, then 送信確認 and 送信, or 一時保存.
"use strict";
(function (T) {
  const el = T.el;
  T.screens = T.screens || {};
  const S = {
    section: null, draftId: null, draft: null, files: new Map(), existing: [], removed: new Set(),
    to: "", message: "", upload: null, check: null, lookup: null, seq: 0, busy: false, dirty: false,
  };
  let timer = 0;

  const reset = () => {
    window.clearTimeout(timer);
    S.seq++; // answers to checks of what was there before are dropped
    Object.assign(S, { draftId: null, draft: null, existing: [], upload: null, check: null, lookup: null, to: "", message: "", dirty: false });
    S.files = new Map();
    S.removed = new Set();
  };
  const allNames = () => [...S.existing.filter((n) => !S.removed.has(n)), ...S.files.keys()];
  const hasCsv = () => allNames().some(T.isCsv);
  const node = (id) => document.getElementById(id);

  // ---- checks (new sends): upload once per set of files, then /api/check
  const runCheck = async (reupload) => {
    if (S.draftId) return;
    const seq = ++S.seq;
    if (reupload && S.upload) {
      T.api.post("/api/uploads/discard", { upload: S.upload }).catch(() => {});  // its files changed
      S.upload = null;
    }
    if (!S.files.size) { S.check = null; renderCheck(); return; }
    T.setStatus(node("compose-status"), T.t(S.upload ? "checking" : "uploading"));
    try {
      if (!S.upload) {
        const up = await T.api.upload([...S.files.values()]);
        if (seq !== S.seq) return;
        S.upload = up.upload;
      }
      const r = await T.api.post("/api/check", { upload: S.upload, to: hasCsv() ? "" : S.to, message: S.message });
      if (seq !== S.seq) return;
      S.check = r;
      if (hasCsv() && r.recipient) S.to = r.recipient;
    } catch (e) {
      if (seq !== S.seq) return;
      S.check = { error: e };
    }
    renderCheck();
  };
  const scheduleCheck = (reupload, delay) => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => runCheck(reupload), delay || 0);
  };

  // ---- the office number typed for PDFs etc. alone
  const lookup = async () => {
    const out = node("to-lookup");
    if (hasCsv()) return;
    const n = S.to.trim();
    S.lookup = null;
    if (!n) { T.setStatus(out, ""); return; }
    if (!/^\d{10}$/.test(n)) { T.setStatus(out, T.t("number_digits"), "error"); return; }
    T.setStatus(out, T.t("looking_up"));
    try {
      const r = await T.api.get("/api/lookup?office=" + encodeURIComponent(n));
      if (S.to.trim() !== n) return;
      S.lookup = r;
      T.setStatus(out, lookupText(r), r.can_receive ? "ok" : "error");
    } catch (e) {
      T.setStatus(out, T.errorBox(e), "error");
    }
  };
  const lookupText = (r) => {
    if (!r.registered) return "⚠ " + T.t("not_registered");
    if (r.can_receive) return "✓ " + T.t("can_receive", { name: r.name || "" });
    const why = r.licensed === false ? T.t("not_licensed") : r.enrolled === false ? T.t("not_enrolled") : "";
    return ["⚠ " + T.t("cannot_receive", { name: r.name || "" }), el("br"), why];
  };

  // ---- rendering
  const titleOf = (c) => T.pick({ ja: c.title, en: c.title_en });
  const fileCheck = (name) => {
    const c = S.check && S.check.files ? S.check.files.find((f) => f.name === name) : null;
    if (S.draftId && S.draft && S.draft.problems) {
      const ps = S.draft.problems.filter((p) => p.file === name);
      return ps.length ? el("div", { class: "file-ng" }, el("strong", {}, "⚠ " + T.t("file_ng")), T.findingList(ps)) : null;
    }
    if (!c) return null;
    if (c.ok !== false && !(c.problems && c.problems.length)) {
      return el("span", { class: "file-ok" }, "✓ " + T.t("file_ok"), titleOf(c) ? "　" + titleOf(c) : "");
    }
    return el("div", { class: "file-ng" }, el("strong", {}, "⚠ " + T.t("file_ng")), titleOf(c) ? "　" + titleOf(c) : "", T.findingList(c.problems));
  };
  const fileRow = (name, size, onRemove) => el("li", {},
    el("div", { class: "file-line" }, el("span", { class: "fname" }, name), size ? el("span", { class: "muted" }, T.sizeText(size)) : null,
      el("button", { type: "button", class: "small", "aria-label": T.t("remove_file", { name }), onclick: onRemove }, T.t("delete"))),
    fileCheck(name));

  const renderFiles = () => {
    const rows = [];
    for (const n of S.existing) if (!S.removed.has(n)) rows.push([n, 0, () => { S.removed.add(n); changed(); }]);
    for (const [n, f] of S.files) rows.push([n, f.size, () => { S.files.delete(n); changed(true); }]);
    const csv = rows.filter((r) => T.isCsv(r[0])), other = rows.filter((r) => !T.isCsv(r[0]));
    node("files-csv").replaceChildren(...(csv.length ? csv.map((r) => fileRow(...r)) : [el("li", { class: "muted" }, T.t("none"))]));
    node("files-other").replaceChildren(...(other.length ? other.map((r) => fileRow(...r)) : [el("li", { class: "muted" }, T.t("none"))]));
  };

  const renderTo = () => {
    const input = node("to");
    const csv = hasCsv();
    input.readOnly = csv;
    if (document.activeElement !== input || csv) input.value = S.to;
    node("to-hint").textContent = csv ? T.t("to_from_csv") : T.t("to_hint");
    const out = node("to-lookup");
    if (csv && S.check && S.check.recipient) {
      const name = S.check.recipient_name || "";
      if (S.check.can_receive === false) T.setStatus(out, "⚠ " + T.t("cannot_receive", { name }), "error");
      else T.setStatus(out, name ? "✓ " + T.t("can_receive", { name }) : "", "ok");
    } else if (csv) T.setStatus(out, "");
  };

  const renderCheck = () => {
    renderTo();
    renderFiles();
    const box = node("compose-status");
    if (!box) return;
    if (S.draftId) {
      if (!S.draft) return T.setStatus(box, "");
      return T.setStatus(box, S.draft.ready ? "✓ " + T.t("ready") : [el("p", {}, "⚠ " + T.t("needs_fix") + ": " + T.t("check_ng")),
        T.findingList((S.draft.problems || []).filter((p) => !p.file))], S.draft.ready ? "ok" : "error");
    }
    const c = S.check;
    if (!S.files.size) return T.setStatus(box, "");
    if (!c) return;
    if (c.error) return T.setStatus(box, T.errorBox(c.error), "error");
    const general = (c.problems || []).filter((p) => !p.file || !S.files.has(p.file));
    if (c.ok) {
      const unit = c.unit_en !== undefined ? T.pick({ ja: c.unit, en: c.unit_en }) : T.unitTitle(c.unit);
      T.setStatus(box, "✓ " + T.t("check_ok") + (unit ? `　${T.t("unit")}: ${unit}` : ""), "ok");
    } else {
      T.setStatus(box, [el("p", {}, el("strong", {}, "⚠ " + T.t("check_ng"))), T.findingList(general)], "error");
    }
  };

  const changed = (reupload) => {
    S.dirty = true;
    renderFiles();
    if (!hasCsv() && S.check && S.check.recipient === S.to) { /* keep typed number */ }
    scheduleCheck(reupload !== false && !S.draftId);
    renderCheck();
  };

  // ---- actions
  const problemsBeforeSend = () => {
    if (!allNames().length) return T.t("need_files");
    if (!hasCsv() && !/^\d{10}$/.test(S.to.trim())) return T.t("need_to");
    return "";
  };
  const confirmSend = () => {
    const names = allNames();
    const name = S.draftId ? (S.draft && S.draft.recipient_name) : (S.check && S.check.recipient_name) || (S.lookup && S.lookup.name);
    const to = S.draftId ? (S.draft && S.draft.to) || S.to : (hasCsv() && S.check ? S.check.recipient : S.to);
    const list = (xs) => (xs.length ? el("ul", {}, xs.map((n) => el("li", {}, n))) : T.t("none"));
    const body = [el("dl", { class: "facts confirm" },
      el("dt", {}, T.t("recipient")), el("dd", {}, T.officeText(to, name)),
      el("dt", {}, T.t("files_csv")), el("dd", {}, list(names.filter(T.isCsv))),
      el("dt", {}, T.t("files_other")), el("dd", {}, list(names.filter((n) => !T.isCsv(n)))),
      el("dt", {}, T.t("message")), el("dd", { class: "msg" }, S.message || T.t("none"))),
    el("p", { class: "question" }, T.t("confirm_q"))];
    return T.dialog(T.t("confirm_title"), body, [
      { label: T.t("cancel"), value: null, id: "confirm-cancel" },
      { label: T.t("save_draft"), value: "draft", id: "confirm-draft" },
      { label: T.t("send"), value: "send", primary: true, id: "confirm-send" }]);
  };

  const done = (text) => {
    reset();
    render();
    T.setStatus(node("compose-status"), [text, " ", el("a", { href: "#sent" }, T.t("nav_sent"))], "ok");
    T.announce(text, "ok");
  };

  const onSend = async () => {
    const box = node("compose-status");
    const missing = problemsBeforeSend();
    if (missing) { T.setStatus(box, "⚠ " + missing, "error"); T.announce(missing, "error"); return; }
    if (S.draftId) {
      if (S.dirty && !(await saveDraftEdits())) return;
      if (S.draft && S.draft.ready === false) { renderCheck(); T.announce(T.t("check_ng"), "error"); return; }
    } else {
      window.clearTimeout(timer);
      await runCheck(false);
      if (!S.check || !S.check.ok) { T.announce(T.t("check_ng"), "error"); node("compose-status").focus(); return; }
    }
    const choice = await confirmSend();
    if (choice === "draft") { await onSaveDraft(); return; }
    if (choice !== "send") return;
    T.setStatus(box, T.t("sending"));
    try {
      const r = S.draftId ? await T.api.post("/api/drafts/send", { id: S.draftId })
        : await T.api.post("/api/send", { upload: S.upload, to: hasCsv() ? "" : S.to.trim(), message: S.message });
      const wasDraft = !!S.draftId;
      done(T.t("sent_ok", { name: T.officeText(r.recipient, r.recipient_name), time: r.accepted || "" }));
      if (wasDraft) history.replaceState(null, "", "#new");
    } catch (e) {
      T.setStatus(box, T.errorBox(e), "error");
      T.announce(T.errorText(e), "error");
    }
  };

  // Sends the changes to an open draft; true when saved.
  const saveDraftEdits = async () => {
    const box = node("compose-status");
    try {
      let upload = "";
      if (S.files.size) upload = (await T.api.upload([...S.files.values()])).upload;
      const edit = { id: S.draftId, to: hasCsv() ? "" : S.to.trim(), message: S.message, remove: [...S.removed] };
      if (upload) edit.upload = upload;
      const d = await T.api.post("/api/drafts/update", edit);
      loadDraft(d);
      return true;
    } catch (e) {
      T.setStatus(box, T.errorBox(e), "error");
      T.announce(T.errorText(e), "error");
      return false;
    }
  };

  const onSaveDraft = async () => {
    const box = node("compose-status");
    if (S.draftId) {
      if (await saveDraftEdits()) {
        // The form is drawn again with the saved draft: say so above its state.
        renderCheck();
        node("compose-status").prepend(el("p", {}, T.t("draft_updated")));
        T.announce(T.t("draft_updated"), "ok");
      }
      return;
    }
    if (!S.files.size) { T.setStatus(box, "⚠ " + T.t("need_files"), "error"); return; }
    try {
      if (!S.upload) S.upload = (await T.api.upload([...S.files.values()])).upload;
      await T.api.post("/api/drafts", { upload: S.upload, to: hasCsv() ? "" : S.to.trim(), message: S.message });
      reset();
      render();
      T.setStatus(node("compose-status"), [T.t("draft_saved"), " ", el("a", { href: "#drafts" }, T.t("nav_drafts"))], "ok");
      T.announce(T.t("draft_saved"), "ok");
    } catch (e) {
      T.setStatus(box, T.errorBox(e), "error");
      T.announce(T.errorText(e), "error");
    }
  };

  const loadDraft = (d) => {
    S.draft = d;
    S.draftId = d.id;
    S.existing = (d.files || []).map(T.fileName);
    S.removed = new Set();
    S.files = new Map();
    S.to = d.to || "";
    S.message = d.message || "";
    S.dirty = false;
    render();
  };

  const render = () => {
    const s = S.section;
    const toInput = el("input", { id: "to", type: "text", inputmode: "numeric", autocomplete: "off", maxlength: "10",
      "aria-describedby": "to-hint to-lookup", value: S.to });
    toInput.addEventListener("input", () => {
      S.to = toInput.value.replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
      S.dirty = true;
      lookup();
      scheduleCheck(false, 400);
    });
    const msg = el("textarea", { id: "message", rows: "4", "aria-describedby": "message-hint" });
    msg.value = S.message;
    msg.addEventListener("input", () => { S.message = msg.value; S.dirty = true; scheduleCheck(false, 600); });
    const back = S.draftId ? "#drafts" : "#home";
    s.replaceChildren(
      T.heading("h-new", S.draftId ? "edit_draft_title" : "new_title"),
      el("div", { class: "form" },
        el("div", { class: "field" }, el("label", { for: "to" }, T.t("to_number")), toInput,
          el("p", { class: "hint", id: "to-hint" }), el("div", { class: "status-line", id: "to-lookup", role: "status" })),
        el("div", { class: "field" }, el("h2", { id: "files-csv-h" }, T.t("files_csv")), el("ul", { class: "filelist", id: "files-csv", "aria-labelledby": "files-csv-h" })),
        el("div", { class: "field" }, el("h2", { id: "files-other-h" }, T.t("files_other")), el("ul", { class: "filelist", id: "files-other", "aria-labelledby": "files-other-h" })),
        T.dropZone({ id: "compose-drop", hint: T.t("allowed_types"), onFiles: (fs) => { T.addFiles(S.files, fs); changed(true); } }),
        el("div", { class: "field" }, el("label", { for: "message" }, T.t("message")),
          el("p", { class: "hint", id: "message-hint" }, T.t("message_hint")), msg),
        el("div", { class: "status-line", id: "compose-status", role: "status", tabindex: "-1" }),
        el("div", { class: "buttons" },
          el("a", { href: back, class: "button" }, T.t("back")),
          el("button", { type: "button", id: "save-draft", onclick: onSaveDraft }, S.draftId ? T.t("update") : T.t("save_draft")),
          el("button", { type: "button", id: "send", class: "primary", onclick: onSend }, T.t("send")))));
    renderCheck();
    if (!S.draftId && S.to && !hasCsv()) lookup();
  };

  // PARAMS: {draft: ID to edit, opened: true when the screen was just
  // opened rather than drawn again (language switch)}.
  T.screens.new = {
    async show(s, params) {
      S.section = s;
      if (params.draft) {
        if (S.draftId !== params.draft) {
          reset();
          s.replaceChildren(T.heading("h-new", "edit_draft_title"), el("p", {}, T.t("loading")));
          try {
            const r = await T.api.get("/api/drafts");
            const d = (r.items || []).find((x) => x.id === params.draft);
            if (!d) { T.go("drafts"); return; }
            loadDraft(d);
          } catch (e) { s.replaceChildren(T.heading("h-new", "edit_draft_title"), T.errorBox(e)); }
          return;
        }
      } else if (S.draftId || params.opened) {
        // 新規作成 opened from elsewhere is a new, empty send: files left
        // from an abandoned one must never travel with it unnoticed.
        reset();
      }
      render();
    },
  };
})(window.Tayori);
