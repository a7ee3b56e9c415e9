// libFuzzer target: the broker's manifest checks (broker/manifest_check.h)
// on manifests built from the input, either as raw protobuf bytes or field
// by field, with sizes, chunk sizes and counts near the limits and past
// them. Whatever the checks accept must keep every promise later loops rely
// on: the files add up to at most max_send_bytes, each declares exactly the
// chunks its size needs, and so no commit, fetch or purge can run longer
// than the bytes a send may carry.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "broker/manifest_check.h"
#include "common/crypto/e2e.h"
#include "common/ids.h"

namespace {

using tayori::broker::BrokerOptions;
namespace pb = tayori::pb;

const char* const kNames[] = {
    "UPJSK_202612_0123456789_43_1299999999_11_20261121093000.CSV",
    "UPSIKYU_202612_0123456789_43_1299999999_11_20261121093000.CSV",
    "UPHOSOKU_202612_0123456789_43_1299999999_11_20261121093000.CSV",
    "UPPLAN_202612_1299999999_0123456789_20261121093000.CSV",
    "plan.pdf",
    "計画書.pdf",
    ".hidden.pdf",
    "../x.pdf",
    "a\u202Eb.pdf",
};

uint64_t Size(FuzzedDataProvider& in, const BrokerOptions& o) {
  switch (in.ConsumeIntegralInRange(0, 4)) {
    case 0:
      return in.ConsumeIntegralInRange<uint64_t>(0, 4096);
    case 1:
      return o.max_send_bytes - in.ConsumeIntegralInRange<uint64_t>(0, 2);
    case 2:
      return UINT64_MAX - in.ConsumeIntegralInRange<uint64_t>(0, o.max_send_bytes);
    case 3:
      return in.ConsumeIntegralInRange<uint64_t>(0, o.max_send_bytes);
    default:
      return in.ConsumeIntegral<uint64_t>();
  }
}

uint32_t ChunkSize(FuzzedDataProvider& in, const BrokerOptions& o) {
  switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0:
      return o.min_chunk_bytes;
    case 1:
      return o.max_chunk_bytes;
    case 2:
      return in.ConsumeIntegralInRange<uint32_t>(0, 64);
    default:
      return in.ConsumeIntegral<uint32_t>();
  }
}

pb::Manifest Build(FuzzedDataProvider& in, const BrokerOptions& o) {
  pb::Manifest m;
  m.set_version(in.ConsumeBool() ? tayori::crypto::kManifestVersion - (in.ConsumeBool() ? 1u : 0u)
                                 : in.ConsumeIntegral<uint32_t>());
  m.set_send_id(in.ConsumeBool() ? tayori::NewId(1796394085000) : in.ConsumeRandomLengthString(40));
  m.set_sender_office(in.ConsumeBool() ? "0123456789" : in.ConsumeRandomLengthString(12));
  m.set_sender_user_id("KJ000000000001");
  m.set_recipient_office(in.ConsumeBool() ? "1299999999" : in.ConsumeRandomLengthString(12));
  m.set_chunk_size(ChunkSize(in, o));
  const int files = in.ConsumeIntegralInRange(0, 9);
  for (int i = 0; i < files; ++i) {
    pb::FileEntry* f = m.add_files();
    f->set_name(in.ConsumeBool() ? kNames[in.ConsumeIntegralInRange<size_t>(0, std::size(kNames) - 1)]
                                 : in.ConsumeRandomLengthString(80));
    f->set_size(Size(in, o));
    f->set_sha256(std::string(in.ConsumeBool() ? 32 : in.ConsumeIntegralInRange(0, 40), 's'));
    f->set_cipher_sha256(std::string(in.ConsumeBool() ? 32 : in.ConsumeIntegralInRange(0, 40), 'c'));
    const uint64_t chunks = m.chunk_size() == 0 ? 1 : tayori::crypto::ChunkCount(f->size(), m.chunk_size());
    f->set_chunk_count(in.ConsumeBool() ? static_cast<uint32_t>(chunks) : in.ConsumeIntegral<uint32_t>());
    f->set_cipher_size(in.ConsumeBool() ? f->size() + chunks * tayori::crypto::MaxSealedLen(m.version(), 0)
                                        : in.ConsumeIntegral<uint64_t>());
  }
  m.set_message_cipher(std::string(in.ConsumeIntegralInRange(0, 70000), 'm'));
  const int keys = in.ConsumeIntegralInRange(0, 20);
  for (int i = 0; i < keys; ++i) {
    pb::SealedKey* k = m.add_sealed_keys();
    k->set_e2e_pk(std::string(in.ConsumeBool() ? 32 : in.ConsumeIntegralInRange(0, 40), 'e'));
    k->set_sealed(std::string(in.ConsumeBool() ? 80 : in.ConsumeIntegralInRange(0, 100), 'k'));
  }
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const BrokerOptions options;
  FuzzedDataProvider in(data, size);
  pb::Manifest m;
  if (in.ConsumeBool()) {
    const std::string raw = in.ConsumeRemainingBytesAsString();
    if (!m.ParseFromString(raw)) return 0;
  } else {
    m = Build(in, options);
  }
  const tayori::Status st = tayori::broker::CheckManifest(options, m);
  if (st.ok()) {
    if (m.files_size() < 1 || static_cast<uint32_t>(m.files_size()) > options.max_files) __builtin_trap();
    if (m.chunk_size() < options.min_chunk_bytes || m.chunk_size() > options.max_chunk_bytes) __builtin_trap();
    uint64_t total = 0, chunks = 0;
    for (const pb::FileEntry& f : m.files()) {
      if (!tayori::IsSafeFileName(f.name())) __builtin_trap();
      if (f.size() > options.max_send_bytes) __builtin_trap();
      total += f.size();
      if (f.chunk_count() != tayori::crypto::ChunkCount(f.size(), m.chunk_size())) __builtin_trap();
      chunks += f.chunk_count();
      if (f.cipher_size() > f.size() + f.chunk_count() * tayori::crypto::MaxSealedLen(m.version(), 0)) {
        __builtin_trap();  // what quotas count is bounded by the bytes sent
      }
    }
    if (total > options.max_send_bytes) __builtin_trap();
    if (chunks > options.max_send_bytes / options.min_chunk_bytes + options.max_files) __builtin_trap();
  } else if (st.reason().empty() || st.detail().empty()) {
    __builtin_trap();  // every refusal says which rule and why
  }
  return 0;
}
