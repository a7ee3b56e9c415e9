// Reasons that code branches on: the stable keys of the message catalogue
// (common/messages.cc) that callers compare, named once so a typo is a
// compile error. Plain constants; any thread.
#ifndef TAYORI_COMMON_REASONS_H_
#define TAYORI_COMMON_REASONS_H_

namespace tayori::reason {

inline constexpr char kAlreadyDownloaded[] = "already_downloaded";
inline constexpr char kCertRevoked[] = "cert_revoked";
inline constexpr char kInterrupted[] = "interrupted";
inline constexpr char kMessageNotFound[] = "message_not_found";
inline constexpr char kResumeChanged[] = "resume_changed";
inline constexpr char kTerminalRemoved[] = "terminal_removed";
inline constexpr char kUploadIncomplete[] = "upload_incomplete";

}  // namespace tayori::reason

#endif  // TAYORI_COMMON_REASONS_H_
