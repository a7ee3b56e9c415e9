// The broker's checks of a manifest at SendBegin (broker/manifest_check.h).
#include "broker/manifest_check.h"

#include "broker/context.h"
#include "common/careplan/check.h"
#include "common/crypto/e2e.h"
#include "common/ids.h"

namespace tayori::broker {
namespace {

Status BadManifest(const std::string& why) { return InvalidArgument("bad_manifest", why); }

// Sizes, chunk counts and digests of every file: each within the send
// limits on its own (so no sum can wrap), and adding up.
Status CheckFileSizes(const BrokerOptions& o, const pb::Manifest& m) {
  if (m.chunk_size() < o.min_chunk_bytes || m.chunk_size() > o.max_chunk_bytes) {
    return BadManifest("chunk size must be " + std::to_string(o.min_chunk_bytes) + " to " +
                       std::to_string(o.max_chunk_bytes));
  }
  if (m.files_size() == 0) return BadManifest("a send carries at least one file");
  if (static_cast<uint32_t>(m.files_size()) > o.max_files) {
    return InvalidArgument("send_too_large",
                           std::to_string(m.files_size()) + " files; at most " + std::to_string(o.max_files));
  }
  uint64_t total = 0;
  for (const pb::FileEntry& f : m.files()) {
    if (!IsSafeFileName(f.name())) return BadManifest("unsafe file name '" + f.name() + "'");
    if (f.sha256().size() != 32 || f.cipher_sha256().size() != 32) return BadManifest("digests are 32 bytes");
    if (f.size() > o.max_send_bytes || total + f.size() > o.max_send_bytes) {
      return InvalidArgument("send_too_large",
                             "the files add up to more than " + std::to_string(o.max_send_bytes) + " bytes");
    }
    total += f.size();
    const uint64_t chunks = f.size() == 0 ? 1 : (f.size() + m.chunk_size() - 1) / m.chunk_size();
    const uint64_t least = chunks * crypto::MinSealedLen(m.version(), 0);
    const uint64_t most = f.size() + chunks * crypto::MaxSealedLen(m.version(), 0);
    if (f.chunk_count() != chunks || f.cipher_size() < least || f.cipher_size() > most ||
        (!crypto::PacksChunks(m.version()) && f.cipher_size() != most)) {
      return BadManifest("sizes of '" + f.name() + "' do not add up");
    }
  }
  return Status::Ok();
}

}  // namespace

Status CheckManifest(const BrokerOptions& o, const pb::Manifest& m) {
  if (!crypto::KnownManifestVersion(m.version())) {
    return BadManifest("unsupported manifest version " + std::to_string(m.version()));
  }
  if (!IsId(m.send_id())) return BadManifest("send id is not an id");
  if (!IsOfficeNumber(m.sender_office()) || !IsOfficeNumber(m.recipient_office())) {
    return BadManifest("office numbers must be 10 digits");
  }
  RETURN_IF_ERROR(CheckFileSizes(o, m));
  if (m.sealed_keys_size() == 0 || static_cast<size_t>(m.sealed_keys_size()) > kMaxTerminals) {
    return BadManifest("1 to " + std::to_string(kMaxTerminals) + " sealed keys");
  }
  for (const pb::SealedKey& k : m.sealed_keys()) {
    if (k.e2e_pk().size() != 32 || k.sealed().size() != 32 + crypto_box_SEALBYTES) {
      return BadManifest("a sealed key has the wrong size");
    }
  }
  if (m.message_cipher().size() < crypto::kChunkOverhead || m.message_cipher().size() > 64 * 1024) {
    return BadManifest("message text must be under 64 KiB");
  }
  // What the care plan rules say of names, units, parties and limits; the
  // content is ciphertext, so the recipient's agent checks that.
  std::vector<careplan::FileToCheck> files;
  for (const pb::FileEntry& f : m.files()) files.push_back({f.name(), "", f.size()});
  careplan::CheckOptions co;
  co.own_office = m.sender_office();
  co.to = m.recipient_office();
  co.content = false;
  co.max_files = o.max_files;
  co.max_bytes = o.max_send_bytes;
  const careplan::CheckReport report = careplan::CheckSend(careplan::Rules::Standard(), files, co);
  if (!report.ok()) {
    std::string detail;
    for (const auto& f : report.findings) detail += (detail.empty() ? "" : "; ") + careplan::FormatFinding(f, false);
    return InvalidArgument(careplan::CategoryReason(report.findings[0].category), detail);
  }
  return Status::Ok();
}

}  // namespace tayori::broker
