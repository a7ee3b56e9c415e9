// What tayori-bench reads of a running process from /proc, and the
// percentile it reports. Linux only, like the bench.
#ifndef TAYORI_BENCH_PROC_H_
#define TAYORI_BENCH_PROC_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "tests/support/test_util.h"

namespace tayori::bench {

// FIELD of /proc/PID/status in kB (VmRSS, VmHWM, ...); -1 if absent.
using testing::ProcStatusKb;
// Starts a new VmHWM for PID (its peak RSS from now on).
void ResetPeakRss(pid_t pid);
// User plus system CPU seconds PID has used.
double ProcCpuSeconds(pid_t pid);
// The P-quantile (0..1) of V, nearest rank; 0 for none.
double Percentile(std::vector<double> v, double p);

}  // namespace tayori::bench

#endif  // TAYORI_BENCH_PROC_H_
