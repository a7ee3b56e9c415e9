// 編集 for one send of a bulk: its recipient and CSV files as found, the
// PDFs etc. to add (drop or ファイルを選択) and its own message; 更新 sorts
// the export again with them.
"use strict";
(function (T) {
  const el = T.el;

  T.bulkEdit = async (g) => {
    const B = T.bulkState;
    const added = new Map();
    const kept = new Set(B.attach[g.to] || []);
    const csv = B.groupFiles(g).filter(T.isCsv);
    const other = el("ul", { class: "filelist", id: "edit-other" });
    const renderOther = () => {
      const names = [...kept, ...added.keys()];
      other.replaceChildren(...(names.length ? names.map((n) => el("li", {}, el("span", { class: "fname" }, n), " ",
        el("button", { type: "button", class: "small", "aria-label": T.t("remove_file", { name: n }),
          onclick: () => { kept.delete(n); added.delete(n); renderOther(); } }, T.t("delete")))) : [el("li", { class: "muted" }, T.t("none"))]));
    };
    renderOther();
    const msg = el("textarea", { id: "edit-message", rows: "3" });
    msg.value = B.messages[g.to] !== undefined ? B.messages[g.to] : (g.message || "");
    const body = [
      el("dl", { class: "facts" }, el("dt", {}, T.t("to_number")), el("dd", {}, T.officeText(g.to, g.name))),
      el("h3", {}, T.t("files_csv")), el("ul", { class: "filelist" }, csv.map((n) => el("li", {}, n))),
      el("h3", {}, T.t("attach_pdf")), other,
      T.dropZone({ id: "edit-drop", hint: T.t("allowed_types"), onFiles: (fs) => { for (const f of fs) added.set(f.name, f); renderOther(); } }),
      el("label", { for: "edit-message" }, T.t("message")), msg];
    const choice = await T.dialog(T.t("edit_group", { name: g.name || g.to }), body, [
      { label: T.t("back"), value: null, id: "edit-back" },
      { label: T.t("update"), value: "update", primary: true, id: "edit-update" }]);
    if (choice !== "update") return;
    for (const n of B.attach[g.to] || []) if (!kept.has(n)) B.files.delete(n);
    for (const [n, f] of added) B.files.set(n, f);
    B.attach[g.to] = [...kept, ...added.keys()];
    B.messages[g.to] = msg.value;
    await B.replan();
  };
})(window.Tayori);
