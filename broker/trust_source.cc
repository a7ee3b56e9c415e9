#include "broker/trust_source.h"

#include <sys/stat.h>

#include "common/env.h"

namespace tayori::broker {
namespace {

struct timespec MTime(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return st.st_mtim;
}

bool Same(const struct timespec& a, const struct timespec& b) { return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec; }

}  // namespace

StatusOr<std::shared_ptr<const crypto::TrustStore>> TrustSource::Get() {
  std::lock_guard<std::mutex> lock(mu_);
  const struct timespec ca_m = MTime(ca_path_);
  const struct timespec crl_m = MTime(crl_path_);
  if (cached_ && Same(ca_m, ca_mtime_) && Same(crl_m, crl_mtime_)) return cached_;
  auto ca_pem = ReadFile(ca_path_);
  if (!ca_pem.ok()) {
    return FailedPrecondition("no_trust_anchor", "no CA certificate at " + ca_path_);
  }
  std::string crl_pem;
  if (FileExists(crl_path_)) {
    ASSIGN_OR_RETURN(crl_pem, ReadFile(crl_path_));
  }
  auto store = crypto::TrustStore::FromPem(*ca_pem, crl_pem);
  if (!store.ok()) {
    return InvalidArgument("config_invalid",
                           "CA files " + ca_path_ + " / " + crl_path_ + ": " + store.status().detail());
  }
  cached_ = std::make_shared<const crypto::TrustStore>(std::move(store).value());
  ca_mtime_ = ca_m;
  crl_mtime_ = crl_m;
  return cached_;
}

}  // namespace tayori::broker
