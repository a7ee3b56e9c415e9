// Every word on the screens, in Japanese as the national client says it and
// in English. The choice is kept in localStorage ("tayori.lang").
"use strict";
window.Tayori = window.Tayori || {};
(function (T) {
  const ja = {
    app_title: "ケアプランデータ連携", skip: "本文へ移動", menu: "メニュー",
    nav_home: "ホーム", nav_inbox: "受信一覧", nav_sent: "送信一覧", nav_new: "新規作成",
    nav_drafts: "下書き一覧", nav_bulk: "一括送信", lang_switch: "English",
    conn_ok: "接続中", conn_lost: "エージェントに接続できません。再接続しています…",
    conn_back: "エージェントに再接続しました。", conn_broker: "連携システムに接続しています。",
    conn_broker_lost: "連携システムに接続できません。届いたデータは接続が戻りしだい表示されます。",
    signin_again: "サインインが切れました。この PC で tayori-agent open を実行して開き直してください。",
    loading: "読み込んでいます…", details: "詳細", close: "閉じる", cancel: "キャンセル", ok: "OK",
    back: "戻る", delete: "削除", refresh: "更新", select_all: "全選択", select_none: "全選択解除",
    select_row: "{name} を選択", none: "なし", yes: "はい", no: "いいえ",
    unknown_error: "処理できませんでした。しばらくしてからもう一度お試しください。",
    network_error: "エージェントに接続できません。しばらくしてからもう一度お試しください。",
    // home
    home_title: "ホーム", status_normal_1: "利用可能です。", status_normal_2: "ただいまシステムは正常稼働中です。",
    status_maint_1: "メンテナンスのお知らせがあります。", status_maint_2: "下のお知らせをご確認ください。",
    status_unreach_1: "連携システムに接続できません。",
    status_unreach_2: "インターネットに接続できるか確認してください。接続が戻ると自動で再開します。",
    notices: "お知らせ", no_notices: "お知らせはありません。", notice_maint: "メンテナンス", notice_info: "お知らせ",
    office: "事業所", office_number: "事業所番号", office_name: "事業所名称",
    licence: "利用ライセンスの有効期限", certificate: "電子証明書の有効期限", days_left: "（あと {n} 日）",
    expired_already: "（期限が切れています）",
    licence_warn: "利用ライセンスの有効期限が近づいています。自動では更新されませんので、期限までに更新の手続きをしてください。",
    licence_gone: "利用ライセンスの有効期限が切れています。データの送受信ができません。更新の手続きをしてください。",
    cert_warn: "電子証明書の有効期限が近づいています。自動では更新されませんので、期限までに新しい電子証明書を取得してください。",
    cert_gone: "電子証明書の有効期限が切れています。新しい電子証明書を取得してください。",
    unread: "未取得のデータ", unread_n: "{n} 件", open_inbox: "受信一覧を開く",
    download_dir: "データの保存先", version: "プログラムのバージョン", help: "お問い合わせ・ヘルプ",
    handoff: "介護ソフトへの受け渡し",
    handoff_export: "送信するファイルを置くフォルダ", handoff_import: "受信したファイルを置くフォルダ",
    handoff_counts: "送信待ち {waiting} 件・送信済 {sent} 件", handoff_received: "受信 {n} 件",
    handoff_last: "最終 {at}", attention: "注意",
    handoff_errors: "送信できなかったファイルが {n} 件あります。フォルダ「エラー」の同じ名前の .txt に理由と対処が書いてあります。",
    // inbox
    inbox_title: "受信一覧", inbox_empty: "受信したデータはありません。",
    col_received: "受信日時", col_message: "メッセージ", col_sender: "送信元事業所", col_files: "ファイル名",
    col_kind: "ファイル種別", col_state: "データ取得状況", col_select: "選択",
    kind_registration: "登録", kind_deletion: "削除", kind_other: "PDF等",
    state_pending: "未", state_downloaded: "済", state_expired: "期限切れ", new_mark: "新着",
    fetch: "データ取得", fetch_none: "データ取得するデータを選んでください。",
    fetching: "データを取得しています…", fetched: "データを取得しました。保存先: {paths}",
    fetched_n: "{n} 件のデータを取得しました。", fetch_failed: "データを取得できなかったものがあります。",
    saved_to: "保存先", problems_in: "内容に問題があります", new_mail: "{name} からデータが届きました（{n} ファイル）。",
    new_mail_noname: "新しいデータが届きました。", inbox_legend: "未取得のデータは「未」と表示し、背景を緑にしています。",
    line_col: "{line} 行目 {col} 列目", line_only: "{line} 行目",
    // sent
    sent_title: "送信一覧", sent_empty: "送信したデータはありません。",
    col_sent_at: "送信日時", col_recipient: "送信先事業所", col_download: "ダウンロード状況",
    kept_until: "{date} まで保管", downloaded_at: "{date} に取得", receipt: "受領証",
    receipt_title: "受領証（ダウンロードの証明）", receipt_ok: "受領証の署名を確認しました。相手先事業所がこのファイルを受け取ったことの証明です。",
    receipt_bad: "受領証の署名を確認できませんでした。事業所の管理者にお問い合わせください。",
    receipt_user: "取得したユーザID", receipt_time: "取得日時", receipt_files: "受け取ったファイル",
    receipt_serial: "電子証明書のシリアル番号", digest: "SHA-256",
    downloaded_event: "{name} がデータを取得しました。",
    // new
    new_title: "新規作成", edit_draft_title: "下書きの編集",
    drop_here: "ここにファイルをドロップ", or: "または", choose_files: "ファイルを選択",
    allowed_types: "送信できるファイル: csv、pdf、jpeg、jpg、png、gif、txt。1 件の送信につき 7 ファイル、10MB まで。Word や Excel の文書は PDF で保存してから添付してください。",
    to_number: "送信先事業所番号", to_hint: "CSV ファイルを追加すると自動的に入力されます。PDF 等だけを送るときは 10 桁の事業所番号を入力してください。",
    to_from_csv: "CSV ファイルのファイル名から入力しました。",
    files_csv: "添付ファイル（CSV）", files_other: "添付ファイル（PDF等）", message: "メッセージ",
    message_hint: "相手先事業所に伝えたい内容（FAX の頭紙に書いていた内容など）",
    save_draft: "一時保存", send: "送信", update: "更新",
    checking: "確認しています…", check_ok: "送信できます。", check_ng: "このままでは送信できません。次の点を直してください。",
    looking_up: "事業所を確認しています…", can_receive: "{name}（受信できます）",
    cannot_receive: "{name}（この事業所は現在データを受け取れません）",
    not_registered: "この事業所番号は連携システムに登録されていません。番号を確かめてください。",
    not_licensed: "この事業所は利用ライセンスが有効ではないため、データを受け取れません。相手先事業所にご確認ください。",
    not_enrolled: "この事業所はまだ端末の準備ができていないため、データを受け取れません。相手先事業所にご確認ください。",
    number_digits: "事業所番号は 10 桁の数字で入力してください。",
    need_files: "送信するファイルを追加してください。", need_to: "送信先事業所番号を入力してください。",
    confirm_title: "送信確認", confirm_q: "以上の内容で送信してよろしいですか？",
    recipient: "相手先事業所", sending: "送信しています…", sent_ok: "{name} に送信しました（{time}）。",
    draft_saved: "下書きに一時保存しました。", draft_updated: "下書きを更新しました。",
    remove_file: "{name} を削除", unit: "送信単位", file_ok: "問題なし", file_ng: "要修正",
    uploading: "ファイルを読み込んでいます…",
    // drafts
    drafts_title: "下書き一覧", drafts_empty: "下書きはありません。", col_updated: "更新日時",
    col_ready: "状態", ready: "送信可", needs_fix: "要修正", open: "開く", from_bulk: "一括送信の残り",
    delete_q: "この下書きを削除してよろしいですか？", deleted: "下書きを削除しました。",
    delete_title: "下書きの削除",
    // bulk
    bulk_title: "一括送信", bulk_hint: "介護ソフトから出力したファイルをまとめてドロップすると、送信先事業所ごとに振り分けます。PDF 等は各行の「編集」から添付できます。",
    col_office_name: "送信先事業所名称", col_stamp: "ファイル出力日時", col_result: "送信結果", col_edit: "編集",
    edit: "編集", bulk_send: "一括送信", interrupt: "中断", message_all: "すべての送信先へのメッセージ",
    g_unsent: "未送信", g_waiting: "送信待ち", g_sending: "送信中", g_succeeded: "成功", g_already: "送信済み（前回の一括送信で送りました）", g_failed: "失敗", g_interrupted: "中断",
    bulk_none: "送信する行を選んでください。", bulk_fix_first: "選んだ行は「要修正」のファイルを直すまで送信できません。", bulk_started: "{n} 件の送信を始めました。",
    bulk_done: "一括送信が終わりました。成功 {ok} 件、失敗 {ng} 件、中断 {cut} 件。",
    bulk_cancelled: "中断しました。送信していないデータは一覧に残っています。",
    bulk_left: "失敗・中断したデータは一覧に残っています。直してからもう一度「一括送信」を押してください。",
    clear_done: "送信済みを一覧から外す", not_registered_name: "（未登録の事業所）",
    planning: "ファイルを振り分けています…", bulk_empty: "ファイルをドロップするか、ファイルを選択してください。",
    edit_group: "編集（{name}）", attach_pdf: "添付ファイル（PDF等）", groups_n: "{n} 件の送信",
    remove_groups_q: "選んだ行を一覧から外してよろしいですか？", percent: "{p}%",
  };
  const en = {
    app_title: "Care plan exchange", skip: "Skip to content", menu: "Menu",
    nav_home: "Home", nav_inbox: "Inbox", nav_sent: "Sent", nav_new: "New",
    nav_drafts: "Drafts", nav_bulk: "Bulk send", lang_switch: "日本語",
    conn_ok: "Connected", conn_lost: "Cannot reach the agent. Reconnecting…",
    conn_back: "Reconnected to the agent.", conn_broker: "Connected to the exchange.",
    conn_broker_lost: "Cannot reach the exchange. New mail appears once the connection is back.",
    signin_again: "Your sign-in has ended. Run tayori-agent open on this PC to open the screens again.",
    loading: "Loading…", details: "Details", close: "Close", cancel: "Cancel", ok: "OK",
    back: "Back", delete: "Delete", refresh: "Refresh", select_all: "Select all", select_none: "Clear selection",
    select_row: "Select {name}", none: "None", yes: "Yes", no: "No",
    unknown_error: "This could not be done. Please try again in a moment.",
    network_error: "Cannot reach the agent. Please try again in a moment.",
    home_title: "Home", status_normal_1: "Available.", status_normal_2: "The system is running normally.",
    status_maint_1: "Maintenance is announced.", status_maint_2: "Please read the notices below.",
    status_unreach_1: "Cannot reach the exchange.",
    status_unreach_2: "Check the internet connection. Work resumes by itself once it is back.",
    notices: "Notices", no_notices: "No notices.", notice_maint: "Maintenance", notice_info: "Notice",
    office: "Office", office_number: "Office number", office_name: "Office name",
    licence: "Licence valid until", certificate: "Certificate valid until", days_left: " ({n} days left)",
    expired_already: " (expired)",
    licence_warn: "The licence ends soon. It is not renewed automatically: please renew it before it ends.",
    licence_gone: "The licence has ended. Nothing can be sent or received: please renew it.",
    cert_warn: "The certificate ends soon. It is not renewed automatically: please get a new one before it ends.",
    cert_gone: "The certificate has ended. Please get a new one.",
    unread: "Not yet downloaded", unread_n: "{n}", open_inbox: "Open the inbox",
    download_dir: "Download folder", version: "Program version", help: "Help and contact",
    handoff: "Hand-off to care software",
    handoff_export: "Folder for files to send", handoff_import: "Folder received files go to",
    handoff_counts: "{waiting} waiting, {sent} sent", handoff_received: "{n} received",
    handoff_last: "last at {at}", attention: "Attention",
    handoff_errors: "{n} files could not be sent. The .txt of the same name in the folder エラー says why and what to do.",
    inbox_title: "Inbox", inbox_empty: "Nothing received.",
    col_received: "Received", col_message: "Message", col_sender: "Sender office", col_files: "Files",
    col_kind: "Kind", col_state: "Downloaded", col_select: "Select",
    kind_registration: "Registration", kind_deletion: "Deletion", kind_other: "PDF etc.",
    state_pending: "No", state_downloaded: "Yes", state_expired: "Expired", new_mark: "New",
    fetch: "Download", fetch_none: "Choose what to download.",
    fetching: "Downloading…", fetched: "Downloaded. Saved to: {paths}",
    fetched_n: "Downloaded {n}.", fetch_failed: "Some could not be downloaded.",
    saved_to: "Saved to", problems_in: "Problems in the content", new_mail: "New mail from {name} ({n} files).",
    new_mail_noname: "New mail has arrived.", inbox_legend: "Mail not yet downloaded is marked \"No\" on a green background.",
    line_col: "line {line}, column {col}", line_only: "line {line}",
    sent_title: "Sent", sent_empty: "Nothing sent.",
    col_sent_at: "Sent", col_recipient: "Recipient office", col_download: "Downloaded",
    kept_until: "kept until {date}", downloaded_at: "downloaded {date}", receipt: "Receipt",
    receipt_title: "Download receipt", receipt_ok: "The receipt's signature is verified: proof that the recipient office received these files.",
    receipt_bad: "The receipt's signature could not be verified. Please contact your administrator.",
    receipt_user: "Downloaded by user", receipt_time: "Downloaded", receipt_files: "Files received",
    receipt_serial: "Certificate serial", digest: "SHA-256",
    downloaded_event: "{name} has downloaded your send.",
    new_title: "New", edit_draft_title: "Edit draft",
    drop_here: "Drop files here", or: "or", choose_files: "Choose files",
    allowed_types: "Allowed: csv, pdf, jpeg, jpg, png, gif, txt. Up to 7 files and 10 MB per send. Save Word and Excel documents as PDF first.",
    to_number: "Recipient office number", to_hint: "Filled in from the CSV file names. For PDFs etc. alone, type the 10-digit office number.",
    to_from_csv: "Taken from the CSV file names.",
    files_csv: "Attached files (CSV)", files_other: "Attached files (PDF etc.)", message: "Message",
    message_hint: "What you want to tell the recipient (what the FAX cover sheet used to say)",
    save_draft: "Save as draft", send: "Send", update: "Update",
    checking: "Checking…", check_ok: "Ready to send.", check_ng: "This cannot be sent yet. Please fix the following.",
    looking_up: "Looking up the office…", can_receive: "{name} (can receive)",
    cannot_receive: "{name} (cannot receive at present)",
    not_registered: "This office number is not registered. Please check the number.",
    not_licensed: "This office has no valid licence and cannot receive. Please ask the office.",
    not_enrolled: "This office has no terminal set up yet and cannot receive. Please ask the office.",
    number_digits: "Type the office number as 10 digits.",
    need_files: "Add the files to send.", need_to: "Type the recipient office number.",
    confirm_title: "Confirm", confirm_q: "Send with the contents above?",
    recipient: "Recipient office", sending: "Sending…", sent_ok: "Sent to {name} ({time}).",
    draft_saved: "Saved as a draft.", draft_updated: "Draft updated.",
    remove_file: "Remove {name}", unit: "Send unit", file_ok: "OK", file_ng: "Needs fixing",
    uploading: "Reading the files…",
    drafts_title: "Drafts", drafts_empty: "No drafts.", col_updated: "Updated",
    col_ready: "Status", ready: "Ready", needs_fix: "Needs fixing", open: "Open", from_bulk: "Left by a bulk send",
    delete_q: "Delete this draft?", deleted: "Draft deleted.", delete_title: "Delete draft",
    bulk_title: "Bulk send", bulk_hint: "Drop a whole export from the care software: it is split by recipient office. Add PDFs etc. with Edit on each row.",
    col_office_name: "Recipient office", col_stamp: "Exported", col_result: "Result", col_edit: "Edit",
    edit: "Edit", bulk_send: "Bulk send", interrupt: "Stop", message_all: "Message to every recipient",
    g_unsent: "Not sent", g_waiting: "Waiting", g_sending: "Sending", g_succeeded: "Sent", g_already: "Sent already (by an earlier bulk send)", g_failed: "Failed", g_interrupted: "Stopped",
    bulk_none: "Choose the rows to send.", bulk_fix_first: "The rows chosen cannot be sent until the files marked “Needs fixing” are fixed.", bulk_started: "Sending {n}.",
    bulk_done: "Bulk send finished: {ok} sent, {ng} failed, {cut} stopped.",
    bulk_cancelled: "Stopped. What was not sent stays in the list.",
    bulk_left: "Failed and stopped rows stay in the list. Fix them and press Bulk send again.",
    clear_done: "Remove sent rows", not_registered_name: "(office not registered)",
    planning: "Sorting the files…", bulk_empty: "Drop the files or choose them.",
    edit_group: "Edit ({name})", attach_pdf: "Attached files (PDF etc.)", groups_n: "{n} sends",
    remove_groups_q: "Remove the chosen rows from the list?", percent: "{p}%",
  };
  const KEY = "tayori.lang";
  let lang = "ja";
  try { lang = localStorage.getItem(KEY) === "en" ? "en" : "ja"; } catch (e) { /* storage off */ }

  T.lang = () => lang;
  T.setLang = (l) => {
    lang = l === "en" ? "en" : "ja";
    try { localStorage.setItem(KEY, lang); } catch (e) { /* storage off */ }
    document.documentElement.lang = lang;
  };
  // The text for KEY with {name} placeholders filled from VARS.
  T.t = (key, vars) => {
    const table = lang === "en" ? en : ja;
    let s = table[key] !== undefined ? table[key] : (ja[key] !== undefined ? ja[key] : key);
    if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] !== undefined ? String(vars[k]) : m));
    return s;
  };
  // Staff-facing text from an {ja, en} pair (errors, findings).
  T.pick = (o) => (o ? (lang === "en" ? o.en || o.ja : o.ja || o.en) || "" : "");
  // Static markup: data-i18n sets the text, data-i18n-aria the aria-label.
  T.applyStatic = (root) => {
    document.documentElement.lang = lang;
    (root || document).querySelectorAll("[data-i18n]").forEach((e) => { e.textContent = T.t(e.dataset.i18n); });
    (root || document).querySelectorAll("[data-i18n-aria]").forEach((e) => {
      e.setAttribute("aria-label", T.t(e.dataset.i18nAria));
    });
  };
  T.KINDS = {
    plan_1_2: ["第1表・第2表（・第3表）・補足", "tables 1, 2 (3) and supplement"],
    plan_6_7: ["第6表・第7表・補足", "tables 6, 7 and supplement"],
    delete_1: ["第1表の削除", "deletion of table 1"], delete_6: ["第6表（予定）の削除", "deletion of table 6 plan"],
    actuals: ["実績", "actuals"], delete_actuals: ["実績の削除", "deletion of actuals"],
    prevention_basic: ["介護予防 基本情報", "prevention basic information"],
    prevention_plan_basic: ["介護予防 計画書＋基本情報", "prevention plan with basic information"],
    prevention_plan: ["介護予防 計画書", "prevention plan"],
    prevention_delete_basic: ["介護予防 基本情報の削除", "deletion of prevention basic information"],
    prevention_delete_plan: ["介護予防 計画書の削除", "deletion of prevention plan"],
  };
  // A send unit for staff: its title, never its key.
  T.unitTitle = (u) => {
    if (!u) return "";
    if (typeof u === "object") return T.pick({ ja: u.title, en: u.title_en }) || "";
    const k = T.KINDS[u] || Object.values(T.KINDS).find((x) => x[0] === u);
    if (k) return lang === "en" ? k[1] : k[0];
    return /^[a-z0-9_]+$/.test(u) ? "" : u;
  };
})(window.Tayori);
