// CheckManifest: what the broker can check of a manifest before it stores
// anything: its version, ids and office numbers, each file's name, sizes,
// chunk count and digests within the send limits (so no sum can wrap and no
// later loop runs longer than the bytes a send may carry), the sealed keys
// and message size, and what the care plan rules say of names, units and
// parties. The content is ciphertext; the recipient's agent checks that.
// Pure; any thread.
#ifndef TAYORI_BROKER_MANIFEST_CHECK_H_
#define TAYORI_BROKER_MANIFEST_CHECK_H_

#include <cstddef>

#include "broker/options.h"
#include "common/status.h"
#include "tayori.pb.h"

namespace tayori::broker {

// The largest signed manifest (manifest, signature and certificate) a send
// may have: the message text is at most 64 KiB, the rest a few KiB.
inline constexpr size_t kMaxSignedManifestBytes = 128 << 10;

// Ok, or bad_manifest, send_too_large or the care plan rule's reason.
Status CheckManifest(const BrokerOptions& options, const pb::Manifest& manifest);

}  // namespace tayori::broker

#endif  // TAYORI_BROKER_MANIFEST_CHECK_H_
