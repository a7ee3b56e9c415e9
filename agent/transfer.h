// Transfer: the windowed pipeline under every chunk upload and download.
// Keeps up to `window` requests in flight, asks again for all in flight when
// an answer is lost, and gives up only after `stall_timeout_ms` without any
// answer, so a transfer that keeps moving never times out. Borrows its
// callbacks and ENV (the monotonic clock) for one RunTransfer; one thread.
#ifndef TAYORI_AGENT_TRANSFER_H_
#define TAYORI_AGENT_TRANSFER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/env.h"
#include "common/status.h"
#include "common/wire/client.h"

namespace tayori::agent {

struct TransferOptions {
  // Requests in flight at once. With `ordered`, answers waiting for their
  // turn count too, which bounds the memory they take.
  uint32_t window = 8;
  // How long to wait for one answer before asking again for all in flight.
  int attempt_timeout_ms = 3000;
  // How long without any answer before giving up with "unavailable".
  // Answers "unavailable" (the broker cannot reach its store, e.g. while
  // the database fails over) do not count as answers: each such request is
  // asked again after unavailable_pause_ms.
  int64_t stall_timeout_ms = 60000;
  int unavailable_pause_ms = 500;
  // Deliver answers in the order of the items (a download writes its file
  // front to back); otherwise as they come.
  bool ordered = false;
  // When it becomes true the transfer stops with reason "interrupted".
  const std::atomic<bool>* cancel = nullptr;
  // The detail of the "unavailable" status of a stalled transfer.
  std::string stalled_detail = "transfer stalled: no answer";
};

// One answer of the peer.
struct TransferAnswer {
  uint64_t request_id = 0;
  Status status;  // the peer's refusal of the request, if it refused
  std::string data;
};

struct TransferIo {
  // Sends the request for ITEM and returns its request id. Unavailable means
  // the link is down: the pipeline stops posting, waits for answers and
  // tries again later. Any other error ends the transfer.
  std::function<StatusOr<uint64_t>(uint64_t item)> post;
  // The next answer to any request, or an error if none came in TIMEOUT_MS.
  // Answers to request ids no longer in flight are ignored.
  std::function<StatusOr<TransferAnswer>(int timeout_ms)> receive;
  // Takes the answer to ITEM; an error ends the transfer with it.
  std::function<Status(uint64_t item, std::string data)> on_answer;
};

// Asks for every one of ITEMS (each exactly once answered) through IO.
// Returns the first refusal or on_answer error, "interrupted"
// (kDeadlineExceeded) on cancel, or "unavailable" after a stall.
Status RunTransfer(const std::vector<uint64_t>& items, const TransferOptions& options, const TransferIo& io, Env* env);
// The same for the items FIRST, FIRST + 1, ..., END - 1, never listed: its
// memory follows the window, whatever the count.
Status RunTransfer(uint64_t first, uint64_t end, const TransferOptions& options, const TransferIo& io, Env* env);

// TransferIo::receive for a broker connection: CLIENT's next reply. CLIENT
// must outlive the returned function.
std::function<StatusOr<TransferAnswer>(int timeout_ms)> ReceiveFrom(wire::Client* client);

}  // namespace tayori::agent

#endif  // TAYORI_AGENT_TRANSFER_H_
