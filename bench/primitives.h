// What every byte of a send costs at the least on this machine, measured
// here: the end-to-end AEAD (AES-256-GCM, OpenSSL), SHA-256 (OpenSSL),
// the CurveZMQ transport's box (XSalsa20-Poly1305, libsodium's
// crypto_box_afternm, what libzmq's CURVE uses per frame), and the cost of
// making a write durable (fdatasync). Single thread; measures, asserts
// nothing.
#ifndef TAYORI_BENCH_PRIMITIVES_H_
#define TAYORI_BENCH_PRIMITIVES_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tayori::bench {

// {"aes_gcm_mb_s", "sha256_mb_s", "curve_box_mb_s", "fsync_1mib_ms",
// "fsync_4kib_ms"}; the fsyncs write in DIR.
nlohmann::json MeasurePrimitives(const std::string& dir);

// The agent's packing of FILES (zstd level 1 where it pays, common/crypto/
// packing.h), a MiB chunk at a time over at most LIMIT bytes of them:
// {"pack_mb_s" (plaintext MB per second, one core), "packed_ratio"
// (packed bytes over plaintext bytes)}.
nlohmann::json MeasurePacking(const std::vector<std::string>& files, uint64_t limit);

// Seconds each side spends at the least on a send of BYTES, CHECKED_BYTES
// of them CSV the agent runs the care plan checker over at CHECKER_MB_S,
// packed as PACKING says: the agent checks, hashes the plaintext, packs it,
// encrypts the packed bytes and boxes them for the transport; the broker
// opens the box (the digests of the stored bytes cover only the chunks'
// tags).
nlohmann::json CryptoFloor(const nlohmann::json& primitives, double bytes, double checked_bytes, double checker_mb_s,
                           const nlohmann::json& packing);

}  // namespace tayori::bench

#endif  // TAYORI_BENCH_PRIMITIVES_H_
