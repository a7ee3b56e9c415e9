#include "common/messages.h"

#include <array>

namespace tayori {
namespace {

// Each entry: what happened, then what to do next.
constexpr std::array kMessages = {
    Message{"bad_request", "要求の形式が正しくありません。tayori のバージョンを確認し、再度実行してください。",
            "The request is malformed. Check the tayori version and try again."},
    Message{"unknown_verb", "ブローカーが知らない要求です。エージェントとブローカーのバージョンを確認してください。",
            "The broker does not know this request. Check the agent and broker versions."},
    Message{"frame_too_large", "送られたデータの塊が大きすぎます。エージェントの chunk_size 設定を確認してください。",
            "A data frame is too large. Check the agent's chunk_size setting."},
    Message{"not_enrolled", "この端末はまだブローカーに登録されていません。`tayori-agent enrol` を実行してください。",
            "This terminal is not enrolled with the broker yet. Run `tayori-agent enrol`."},
    Message{"not_registered",
            "送信に失敗しました。ケアプランデータ連携システムの利用申請を行った後に再度実行してください。"
            "（この事業所番号はブローカーに登録されていません。運用者に登録を依頼してください。）",
            "This office number is not registered with the broker. Apply for use (ask the "
            "operator to register the office), then try again."},
    Message{"sender_unlicensed",
            "送信に失敗しました。ケアプランデータ連携システムWebサイトより利用申請を行った後に再度実行してください。"
            "（この事業所のライセンスが有効ではありません。ライセンスを更新してください。）",
            "Sending failed: this office has no valid licence. Apply for or renew the licence, "
            "then try again."},
    Message{"recipient_unlicensed",
            "送信に失敗しました。送信先事業所がケアプランデータ連携システムの利用申請を行っていない、"
            "または現在有効なライセンスを持っていません。送信先事業所が利用申請を行った後に再度送信してください。",
            "Sending failed: the recipient office has not applied for the care plan data "
            "exchange or has no valid licence now. Send again once the recipient has applied."},
    Message{"recipient_not_enrolled",
            "送信先事業所はまだ端末の登録を終えていないため、暗号化して送ることができません。"
            "送信先事業所に端末の登録（enrol）を依頼してください。",
            "The recipient office has not enrolled a terminal yet, so nothing can be encrypted "
            "to it. Ask the recipient to enrol."},
    Message{"cert_untrusted",
            "正しい電子証明書をインストールしてください。利用申請時と同じKJから始まる事業所ユーザIDの"
            "介護保険証明書または請求委任事業所用ケアプラン証明書を使ってください。",
            "Install the correct certificate: the care-insurance or delegated-billing care plan "
            "certificate of the KJ office user id used when applying."},
    Message{
        "cert_proxy",
        "代理人証明書は本システムではご利用いただけません。請求委任事業所用ケアプラン証明書を取得してご利用ください。",
        "Proxy (代理人) certificates cannot be used. Obtain the delegated-billing care plan "
        "certificate (請求委任事業所用ケアプラン証明書) and use that."},
    Message{"cert_disability",
            "障害総合支援証明書は本システムではご利用いただけません。介護保険証明書または"
            "請求委任事業所用ケアプラン証明書をご利用ください。",
            "Disability-services certificates cannot be used. Use the care-insurance or "
            "delegated-billing care plan certificate."},
    Message{"cert_expired",
            "電子証明書の有効期限が切れているか、まだ有効になっていません。電子請求受付システムで"
            "証明書を取得し直してから、再度実行してください。",
            "The certificate has expired or is not yet valid. Obtain a new certificate, then "
            "try again."},
    Message{"cert_revoked", "この電子証明書は失効しています。電子請求受付システムで新しい証明書を取得してください。",
            "This certificate has been revoked. Obtain a new certificate."},
    Message{"terminal_removed",
            "この端末の登録は運用者により取り消されました。この証明書では登録し直せません。"
            "電子請求受付システムで新しい証明書を取得し、`tayori-agent init` からやり直してください。",
            "This terminal's enrolment was removed by the operator; its certificate cannot enrol "
            "again. Obtain a new certificate and set the terminal up again with `tayori-agent init`."},
    Message{"too_many_terminals",
            "この事業所には登録できる端末の上限（16台）まで端末が登録されています。使わなくなった端末の"
            "登録の取り消しを運用者に依頼してから、再度実行してください。",
            "This office already has the most terminals it may have (16). Ask the operator to remove "
            "a terminal no longer used, then try again."},
    Message{"cert_mismatch",
            "端末に登録されている証明書が一致しないため、送受信できません。利用申請時と同じKJから始まる"
            "事業所ユーザIDの証明書がこの端末に設定されているか確認してください。",
            "The certificate on this terminal does not match the registered one, so nothing "
            "can be sent or received. Check that this PC holds the certificate of the office user id "
            "used when applying."},
    Message{"cert_bad_identity",
            "電子証明書に事業所番号（10桁）と事業所ユーザID（KJ+12桁）が正しく記載されていません。"
            "正しい電子証明書をインストールしてください。",
            "The certificate does not carry a valid office number (10 digits) and office user "
            "id (KJ + 12 digits). Install the correct certificate."},
    Message{"key_mismatch", "秘密鍵が証明書と一致しません。証明書と同時に発行された鍵ファイルを指定してください。",
            "The private key does not belong to the certificate. Give the key file issued "
            "with the certificate."},
    Message{"signature_invalid",
            "電子署名を検証できませんでした。データが改ざんされたか、送信元の証明書が正しくありません。"
            "送信元事業所に再送を依頼してください。",
            "The signature does not verify: the data was altered or the sender's certificate "
            "is wrong. Ask the sender to send again."},
    Message{"version_unsupported",
            "このデータは新しい版の tayori で送られたため、この端末では開けません。tayori "
            "を更新してから、もう一度受信してください。",
            "This message was sent by a newer version of tayori and this terminal cannot open it. Update "
            "tayori, then download it again."},
    Message{"digest_mismatch", "受け取ったデータが送信元のものと一致しません。再度実行してください。",
            "The data received does not match what the sender signed. Try again."},
    Message{"already_downloaded",
            "このデータは既に取得済みです。一度受信したデータを再度ダウンロードすることはできません。"
            "保存先フォルダを探すか、送信元事業所に再送を依頼してください。",
            "This message was already downloaded; it cannot be downloaded again. Look in the "
            "folder it was saved to, or ask the sender to send it again."},
    Message{"message_not_text",
            "メッセージに文字として読めない部分があります。メッセージを入力し直してから、もう一度送信してください。",
            "The message contains bytes that are not text. Type the message again, then send."},
    Message{"file_name_not_text",
            "ファイル名に文字として読めない部分があります。ファイル名を付け直してから、もう一度指定してください。",
            "A file name contains bytes that are not text. Rename the file, then choose it again."},
    Message{"message_not_found",
            "指定されたデータは受信一覧にありません。`tayori-agent inbox` で番号を確認してください。",
            "No such message in this office's inbox. Check the id with `tayori-agent inbox`."},
    Message{"send_id_conflict", "同じ送信IDで異なる内容が送られました。新しい送信として、もう一度送信してください。",
            "A different send already used this send id. Send again as a new send."},
    Message{"resume_changed",
            "中断していた送信は、その後ファイルかこのパソコンのソフトウェアが変わったため、続きから送れません。"
            "もう一度送信してください。新しい送信として最初から送ります（重複して届くことはありません）。",
            "The interrupted send cannot be resumed because its files or software on this PC changed since. "
            "Send again: it goes as a new send from the start (it will not arrive twice)."},
    Message{"upload_incomplete", "ファイルの一部がまだブローカーに届いていません。再度実行すると続きから送信します。",
            "Part of the files has not reached the broker yet. Run the send again to resume."},
    Message{"bad_manifest", "送信内容の記述が正しくありません。tayori のバージョンを確認し、再度実行してください。",
            "The send's manifest is not valid. Check the tayori version and try again."},
    Message{"store_corrupt",
            "ブローカーの保存データに問題が見つかりました。しばらくしてから再度実行し、続く場合は"
            "運用者に連絡してください。",
            "The broker found a problem in its stored data. Try again later; if it persists, "
            "contact the operator."},
    Message{"upload_quota",
            "送信途中のデータが多すぎるため、新しい送信を受け付けられません。送信中のものが終わってから、"
            "もう一度送信してください。",
            "Too many sends of this office are still uploading. Send again once they have finished."},
    Message{"send_too_large",
            "送信できるデータ量を超えています。1回の送信は合計10MBまで、ファイルは7つまでです。"
            "ファイルを分けて送信してください。",
            "The send is too large: at most 10 MB and 7 files per send. Split the files over "
            "several sends."},
    Message{"name_invalid",
            "送信に失敗しました。標準仕様に準拠したファイル名以外での送受信は行えません。"
            "CSVファイルの名前は介護ソフトから出力された状態から変更しないでください。",
            "Sending failed: only files with standard names can be exchanged. Keep CSV file "
            "names exactly as the care software exported them."},
    Message{"combination_invalid",
            "ファイルの組み合わせが正しくありません。CSVファイルの組み合わせを確認してください。",
            "The combination of files is not correct. Check which CSV files go together."},
    Message{"format_invalid",
            "ケアプランデータの書式フォーマットが正しくありません。ケアプランデータ内の書式を確認してください。"
            "解決しない場合は介護ソフトベンダにお問い合わせください。",
            "The care plan data is not in the standard format. Check the data; if it persists, "
            "contact the care software vendor."},
    Message{"file_type_invalid",
            "送信できないファイルが含まれています。送信できるのは csv、pdf、jpeg、jpg、png、gif、txt です。",
            "A file cannot be sent. Allowed types: csv, pdf, jpeg, jpg, png, gif, txt."},
    Message{"archive",
            "データの読み込みに失敗しました。圧縮ファイル（zip等）は送信できません。"
            "ファイルを展開（すべて展開）してから、展開されたファイルを追加し直してください。",
            "Compressed files (zip and others) cannot be sent. Extract the files first, then "
            "add the extracted files again."},
    Message{"party_invalid",
            "送信元または送信先の事業所番号が正しくありません。CSVファイル名の事業所番号と送信先を確認してください。",
            "The sender or recipient office number does not fit. Check the office numbers in the "
            "CSV file names and the recipient."},
    Message{"interrupted", "送信を中断しました。送信済みの部分は保存されています。もう一度送信すると続きから送ります。",
            "The send was interrupted. What was uploaded is kept; send again to continue where it stopped."},
    Message{"draft_not_found", "指定された下書きはありません。`tayori-agent draft list` で確認してください。",
            "No such draft. See `tayori-agent draft list`."},
    Message{"bulk_too_large",
            "一括送信できるのは一度に50件（送信先・送信単位ごと）までです。ファイルを分けて送ってください。",
            "A bulk send holds at most 50 sends (one per recipient and send unit). Split the files."},
    Message{"receipt_missing",
            "この送信にはまだ受領証がありません（送信先がまだ取得していないか、期限切れになりました）。",
            "This send has no receipt yet: the recipient has not downloaded it, or it expired."},
    Message{"unavailable",
            "ブローカーに接続できませんでした。ネットワークを確認し、時間をおいてから再度実行してください。"
            "再送しても重複して届くことはありません。",
            "Could not reach the broker. Check the network and try again later; a retried send "
            "is never delivered twice."},
    Message{"config_invalid",
            "設定ファイルの内容が正しくありません。表示された項目を直してから、再度起動してください。",
            "The configuration is not valid. Fix the key named below, then start again."},
    Message{"broker_info_invalid",
            "接続先の情報（broker.info）を読めないか、内容が正しくありません。運用窓口から届いたファイルを"
            "そのまま置いて（Windows では tayori フォルダの certs に）、もう一度実行してください。",
            "The broker's address file (broker.info) cannot be read or is not valid. Use the file from the "
            "operator, unchanged, and run again."},
    Message{
        "broker_info_no_address",
        "接続先の情報（broker.info）に、この端末から接続できる接続先が書かれていません。運用窓口に連絡してください。",
        "The broker's address file (broker.info) names no address this terminal can connect to. Contact "
        "the operator."},
    Message{"usage", "コマンドの指定が正しくありません。`--help` で使い方を確認してください。",
            "The command line is not valid. See `--help`."},
    Message{"not_initialised", "この端末はまだ初期設定されていません。`tayori-agent init` を実行してください。",
            "This terminal is not set up yet. Run `tayori-agent init`."},
    Message{"file_unreadable", "ファイルを読み込めませんでした。ファイルの場所と読み取り権限を確認してください。",
            "A file could not be read. Check its path and read permission."},
    Message{"handoff_folder_missing",
            "介護ソフトの出力先フォルダが見つかりません。フォルダを作るか、設定（agent.yaml の "
            "handoff.export_dir）を直してください。",
            "The care software's export folder is missing. Create it, or correct handoff.export_dir in agent.yaml."},
    Message{"bad_office_number", "事業所番号は10桁の数字です。番号を確認してください。",
            "An office number is 10 digits. Check the number."},
    Message{"bad_user_id", "事業所ユーザIDは KJ で始まる14文字（KJ+12桁）です。IDを確認してください。",
            "An office user id is KJ followed by 12 digits. Check the id."},
    Message{"bad_date", "日付は YYYY-MM-DD の形式で指定してください。", "Give dates as YYYY-MM-DD."},
    Message{"already_exists", "既に登録されています。", "Already registered."},
    Message{"already_set_up", "この端末は既に初期設定されています。", "This terminal is already set up."},
    Message{"other_certificate",
            "この端末は別の証明書で初期設定されています。証明書を入れ替えるときは、運用窓口の案内に従ってください。",
            "This terminal is set up with another certificate. To replace it, follow the operator's "
            "instructions."},
    Message{"terminal_keys_damaged", "この端末の鍵のファイルが読めないか、壊れています。運用窓口に連絡してください。",
            "This terminal's key files cannot be read or are damaged. Contact the operator."},
    Message{"no_trust_anchor", "ブローカーに信頼する認証局（CA）が設定されていません。運用者に連絡してください。",
            "The broker has no trusted certificate authority configured. Contact the operator."},
    Message{"local_record_corrupt",
            "この端末に保存されている送受信の記録の一部が壊れています。詳細に表示されたファイルを"
            "別のフォルダへ移してから、もう一度実行してください。",
            "A record this terminal keeps is damaged. Move the file named in the details to "
            "another folder, then try again."},
    Message{"signin_required",
            "サインインが必要です。`tayori-agent open` を実行して、表示されたアドレスを開いてください。",
            "Sign in first: run `tayori-agent open` and open the address it prints."},
    Message{"cross_origin", "ほかのサイトからの操作は受け付けません。tayori の画面から操作してください。",
            "Requests from other sites are refused. Use the tayori screens."},
    Message{"upload_not_found",
            "ファイルの受け渡しが途中で切れたか、期限が過ぎました。ファイルをもう一度選んでください。",
            "The files handed over were lost or are too old. Choose the files again."},
    Message{"bulk_not_found", "この一括送信はもう残っていません。ファイルをもう一度ドロップしてください。",
            "This bulk send is no longer there. Drop the files again."},
    Message{"bulk_running", "この一括送信は送信中です。終わるまでお待ちください。",
            "This bulk send is running. Wait until it ends."},
    Message{"listen_failed", "画面用のポートを開けません。ほかの tayori-agent serve が動いていないか確認してください。",
            "The screens' port cannot be opened. Check that no other tayori-agent serve runs."},
    Message{"serve_not_running", "tayori-agent serve が動いていません。先に `tayori-agent serve` を起動してください。",
            "tayori-agent serve is not running. Start `tayori-agent serve` first."},
    Message{"io_error", "ディスクへの読み書きに失敗しました。空き容量と権限を確認してください。",
            "Reading or writing the disk failed. Check free space and permissions."},
    Message{"internal", "内部エラーが発生しました。時間をおいて再度実行し、続く場合はサポートにお問い合わせください。",
            "An internal error occurred. Try again later; if it persists, contact support."},
};

}  // namespace

const Message* FindMessage(const std::string& reason) {
  for (const Message& m : kMessages) {
    if (reason == m.reason) return &m;
  }
  return nullptr;
}

std::string Render(const Status& status, Lang lang) {
  if (status.ok()) return lang == Lang::kJa ? "成功しました。" : "Succeeded.";
  const Message* m = FindMessage(status.reason());
  std::string out;
  if (m != nullptr) out = lang == Lang::kJa ? m->ja : m->en;
  if (!status.detail().empty()) {
    if (!out.empty()) out += "\n  ";
    out += (lang == Lang::kJa ? "詳細: " : "detail: ") + status.detail();
  }
  if (out.empty()) out = status.ToString();
  return out;
}

StatusOr<Lang> ParseLang(const std::string& text) {
  if (text == "ja") return Lang::kJa;
  if (text == "en") return Lang::kEn;
  return InvalidArgument("usage", "--lang takes ja or en, got '" + text + "'");
}

}  // namespace tayori
