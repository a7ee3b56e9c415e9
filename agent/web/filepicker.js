// A place to drop files (or whole folders) with a ファイルを選択 button
// beside it for the keyboard and for those who prefer it. Hands the chosen
// File objects to ONFILES; reads nothing itself.
"use strict";
(function (T) {
  const el = T.el;

  // Every file under a dropped folder entry.
  const walk = (entry) => new Promise((resolve) => {
    if (entry.isFile) { entry.file((f) => resolve([f]), () => resolve([])); return; }
    if (!entry.isDirectory) { resolve([]); return; }
    const reader = entry.createReader(), out = [];
    const next = () => reader.readEntries(async (batch) => {
      if (!batch.length) { resolve(out); return; }
      for (const e of batch) out.push(...(await walk(e)));
      next();
    }, () => resolve(out));
    next();
  });

  const dropped = async (dt) => {
    const entries = [...(dt.items || [])].map((i) => (i.webkitGetAsEntry ? i.webkitGetAsEntry() : null));
    if (entries.length && entries.every((e) => e)) {
      const all = [];
      for (const e of entries) all.push(...(await walk(e)));
      if (all.length) return all;
    }
    return [...(dt.files || [])];
  };

  // OPTS: {id, onFiles, accept, hint}
  T.dropZone = (opts) => {
    const input = el("input", { type: "file", multiple: true, id: opts.id + "-input", class: "visually-hidden",
      tabindex: "-1", "aria-hidden": "true", accept: opts.accept });
    input.addEventListener("change", () => {
      const files = [...input.files];
      input.value = "";
      if (files.length) opts.onFiles(files);
    });
    const button = el("button", { type: "button", id: opts.id + "-choose", onclick: () => input.click() }, T.t("choose_files"));
    const zone = el("div", { class: "dropzone", id: opts.id },
      el("p", { class: "drop-text" }, T.t("drop_here")), el("p", {}, T.t("or")), button, input,
      opts.hint ? el("p", { class: "hint" }, opts.hint) : null);
    zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", async (e) => {
      e.preventDefault();
      zone.classList.remove("over");
      const files = await dropped(e.dataTransfer);
      if (files.length) opts.onFiles(files);
    });
    return zone;
  };

  // Keeps FILES (a Map name → File) up to date with ADDED; a file of the
  // same name replaces the one before.
  T.addFiles = (map, added) => { for (const f of added) map.set(f.name, f); };
})(window.Tayori);
