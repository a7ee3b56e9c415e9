// Uploads: files the screens hand to the agent (dropped or chosen in the
// browser), streamed over loopback into HOME/uploads/<id>/ and kept only
// until the broker accepted the send they belong to, or the draft that
// references them is deleted (R13: history, not copies). Borrows ENV;
// thread-safe (each upload is its own folder).
#ifndef TAYORI_AGENT_SERVE_UPLOADS_H_
#define TAYORI_AGENT_SERVE_UPLOADS_H_

#include <set>
#include <string>
#include <vector>

#include "common/env.h"
#include "common/status.h"

namespace tayori::agent::serve {

class Uploads {
 public:
  // At most this many files, and bytes in all, per upload (a bulk export
  // of 50 sends of 10 MB fits).
  static constexpr size_t kMaxFiles = 500;
  static constexpr uint64_t kMaxBytes = 600ull << 20;

  Uploads(std::string home, Env* env) : dir_(std::move(home) + "/uploads"), env_(env) {}

  // A new, empty upload; returns its id.
  StatusOr<std::string> Create();
  // Where file NAME of upload ID goes; usage if NAME is not a safe plain
  // file name or ID not an upload.
  StatusOr<std::string> PathFor(const std::string& id, const std::string& name) const;
  // The files of upload ID (absolute paths, sorted); upload_not_found if none.
  StatusOr<std::vector<std::string>> Files(const std::string& id) const;
  // Removes upload ID with its files. Callers that may share the upload
  // with a draft or a bulk send go through Service::ReleaseUpload.
  Status Remove(const std::string& id);
  // Removes uploads older than MAX_AGE_SECONDS (left by a crash, or by a
  // page closed before sending), except those in IN_USE.
  void RemoveStale(int64_t max_age_seconds, const std::set<std::string>& in_use);
  // The upload a file at PATH lies in ("" if PATH is not in one).
  std::string UploadOf(const std::string& path) const;

 private:
  const std::string dir_;
  Env* const env_;
};

}  // namespace tayori::agent::serve

#endif  // TAYORI_AGENT_SERVE_UPLOADS_H_
