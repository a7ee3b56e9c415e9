// The baselines tayori-bench measures its bulk against, on the same files
// in the same run: scp to a private sshd on loopback, and dd conv=fsync.
#ifndef TAYORI_BENCH_BASELINES_H_
#define TAYORI_BENCH_BASELINES_H_

#include <string>
#include <vector>

namespace tayori::bench {

// Seconds for scp (aes128-gcm) of FILES to a private sshd on loopback, its
// keys and destination in DIR (made); <0 if unavailable.
double ScpSeconds(const std::vector<std::string>& files, const std::string& dir);

// Seconds for dd conv=fsync of FILES into DIR (made), one dd each, like one
// commit per send; <0 on failure.
double DdSeconds(const std::vector<std::string>& files, const std::string& dir);

}  // namespace tayori::bench

#endif  // TAYORI_BENCH_BASELINES_H_
