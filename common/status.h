// Status and StatusOr<T>: the one error type of tayori.
//
// A Status is a code (the kind of failure), a reason (a stable machine key
// such as "recipient_unlicensed", shared by the wire protocol and the message
// catalogue in common/messages.h) and a detail (free text for logs and for
// the person fixing the problem). Functions return Status rather than throw;
// third-party code that throws is wrapped at the module edge.
#ifndef TAYORI_COMMON_STATUS_H_
#define TAYORI_COMMON_STATUS_H_

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace tayori {

enum class Code {
  kOk = 0,
  kInvalidArgument,  // bad input: a frame, a file, a flag, a config key
  kNotFound,
  kAlreadyExists,
  kPermissionDenied,    // authenticated, but not allowed
  kUnauthenticated,     // identity missing or not proven
  kFailedPrecondition,  // valid request, wrong state (e.g. already downloaded)
  kUnavailable,         // peer unreachable; retrying may help
  kDeadlineExceeded,
  kDataLoss,  // digest or signature mismatch on stored or received data
  kIoError,   // disk: full, fsync failed, unreadable
  kInternal,
};

const char* CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string reason, std::string detail)
      : code_(code), reason_(std::move(reason)), detail_(std::move(detail)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  // Stable key for the message catalogue and the wire; empty when ok().
  const std::string& reason() const { return reason_; }
  const std::string& detail() const { return detail_; }
  // "invalid_argument/recipient_unlicensed: detail", for logs.
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string reason_;
  std::string detail_;
};

inline Status InvalidArgument(std::string reason, std::string detail) {
  return Status(Code::kInvalidArgument, std::move(reason), std::move(detail));
}
inline Status NotFound(std::string reason, std::string detail) {
  return Status(Code::kNotFound, std::move(reason), std::move(detail));
}
inline Status PermissionDenied(std::string reason, std::string detail) {
  return Status(Code::kPermissionDenied, std::move(reason), std::move(detail));
}
inline Status FailedPrecondition(std::string reason, std::string detail) {
  return Status(Code::kFailedPrecondition, std::move(reason), std::move(detail));
}
inline Status IoError(std::string detail) { return Status(Code::kIoError, "io_error", std::move(detail)); }
inline Status Internal(std::string detail) { return Status(Code::kInternal, "internal", std::move(detail)); }

template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(v_).ok());
  }
  StatusOr(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<Status, T> v_;
};

}  // namespace tayori

#define TAYORI_CONCAT_INNER(a, b) a##b
#define TAYORI_CONCAT(a, b) TAYORI_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)      \
  do {                             \
    ::tayori::Status _st = (expr); \
    if (!_st.ok()) return _st;     \
  } while (0)

#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

#define ASSIGN_OR_RETURN(lhs, expr) ASSIGN_OR_RETURN_IMPL(TAYORI_CONCAT(_statusor_, __LINE__), lhs, expr)

#endif  // TAYORI_COMMON_STATUS_H_
