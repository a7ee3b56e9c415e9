#include "bench/primitives.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/crypto/e2e.h"
#include "common/crypto/packing.h"

namespace tayori::bench {
namespace {

double Now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

constexpr size_t kBuffer = 1 << 20;
constexpr int kRounds = 256;  // 256 MiB through each primitive

// MB/s of FN over ROUNDS buffers of a MiB.
template <typename Fn>
double Rate(Fn fn) {
  fn();  // warm
  const double t0 = Now();
  for (int i = 0; i < kRounds; ++i) fn();
  return static_cast<double>(kBuffer) * kRounds / 1e6 / (Now() - t0);
}

// Median milliseconds of writing N bytes to a new file in DIR and
// fdatasync'ing it.
double SyncedWriteMs(const std::string& dir, size_t n) {
  const std::string path = dir + "/fsync-probe";
  const std::string data(n, 'x');
  std::vector<double> ms;
  for (int i = 0; i < 21; ++i) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return -1;
    const double t0 = Now();
    const bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()) && ::fdatasync(fd) == 0;
    ms.push_back((Now() - t0) * 1000);
    ::close(fd);
    if (!ok) return -1;
  }
  ::unlink(path.c_str());
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

}  // namespace

nlohmann::json MeasurePrimitives(const std::string& dir) {
  const std::string plain(kBuffer, 'p');
  const std::string key = crypto::NewSendKey();
  std::string sink;
  const double gcm = Rate([&] { sink = crypto::EncryptChunk(crypto::Aead::kAes256Gcm, key, 0, 1, 2, plain); });
  const double sha = Rate([&] { sink = crypto::Sha256Of(plain); });
  unsigned char pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES], k[crypto_box_BEFORENMBYTES];
  unsigned char nonce[crypto_box_NONCEBYTES] = {};
  crypto_box_keypair(pk, sk);
  if (crypto_box_beforenm(k, pk, sk) != 0) return {};
  std::vector<unsigned char> boxed(kBuffer + crypto_box_MACBYTES);
  const double box = Rate([&] {
    crypto_box_easy_afternm(boxed.data(), reinterpret_cast<const unsigned char*>(plain.data()), plain.size(), nonce, k);
  });
  return {{"aes_gcm_mb_s", gcm},
          {"sha256_mb_s", sha},
          {"curve_box_mb_s", box},
          {"fsync_1mib_ms", SyncedWriteMs(dir, kBuffer)},
          {"fsync_4kib_ms", SyncedWriteMs(dir, 4096)}};
}

nlohmann::json MeasurePacking(const std::vector<std::string>& files, uint64_t limit) {
  std::string chunk, packed(kBuffer + crypto::kPackOverhead, '\0');
  double plain = 0, out = 0, seconds = 0;
  for (const std::string& path : files) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) continue;
    chunk.resize(kBuffer);
    size_t n;
    while (plain < static_cast<double>(limit) && (n = std::fread(chunk.data(), 1, kBuffer, f)) > 0) {
      const double t0 = Now();
      const size_t m = crypto::PackChunk(std::string_view(chunk.data(), n), packed.data());
      if (m == 0) {
        std::fprintf(stderr, "tayori-bench: packing failed (no memory)\n");
        std::exit(1);
      }
      out += static_cast<double>(m);
      seconds += Now() - t0;
      plain += static_cast<double>(n);
    }
    std::fclose(f);
  }
  if (plain == 0 || seconds == 0) return {{"pack_mb_s", 0.0}, {"packed_ratio", 1.0}};
  return {{"pack_mb_s", plain / 1e6 / seconds}, {"packed_ratio", out / plain}};
}

nlohmann::json CryptoFloor(const nlohmann::json& p, double bytes, double checked_bytes, double checker_mb_s,
                           const nlohmann::json& packing) {
  const double mb = bytes / 1e6;
  const double sealed_mb = mb * packing["packed_ratio"].get<double>();
  const double pack_mb_s = packing["pack_mb_s"].get<double>();
  const double sha = mb / p["sha256_mb_s"].get<double>();
  const double pack = pack_mb_s > 0 ? mb / pack_mb_s : 0;
  const double gcm = sealed_mb / p["aes_gcm_mb_s"].get<double>();
  const double box = sealed_mb / p["curve_box_mb_s"].get<double>();
  const double check = checked_bytes / 1e6 / checker_mb_s;
  const double agent = check + sha + pack + gcm + box;
  const double broker = box;
  return {{"agent_seconds", agent},
          {"broker_seconds", broker},
          {"check_seconds", check},
          {"pack_seconds", pack},
          {"packed_ratio", packing["packed_ratio"]},
          {"pack_mb_s", pack_mb_s},
          // Two cores: neither side can go faster than its own floor, nor
          // both together faster than their sum over two.
          {"two_core_seconds", std::max({agent, broker, (agent + broker) / 2})}};
}

}  // namespace tayori::bench
