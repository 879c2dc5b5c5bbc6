// Result<T, E>: a value or an error, for APIs that never throw across module boundaries.
// libstdc++ 12 has no <expected>; this is the small subset the project needs.
#ifndef MPDRILL_BASE_RESULT_H_
#define MPDRILL_BASE_RESULT_H_

#include <cstdlib>
#include <type_traits>
#include <utility>
#include <variant>

namespace mpdrill {

// Wraps an error so that Result's constructor can tell it from a value.
template <typename E>
struct Unexpected {
  E error;
};
template <typename E>
Unexpected(E) -> Unexpected<E>;

template <typename E>
Unexpected<std::decay_t<E>> MakeUnexpected(E&& e) {
  return Unexpected<std::decay_t<E>>{std::forward<E>(e)};
}

// Stand-in value type for a Result that carries no value.
struct Ok {
  friend bool operator==(Ok, Ok) { return true; }
};

template <typename T, typename E>
class [[nodiscard]] Result {
 public:
  using value_type = T;
  using error_type = E;

  // Implicit on purpose: `return value;` and `return Unexpected{err};` both work.
  Result(const T& value) : v_(std::in_place_index<0>, value) {}          // NOLINT
  Result(T&& value) : v_(std::in_place_index<0>, std::move(value)) {}    // NOLINT
  template <typename G>
  Result(Unexpected<G> u) : v_(std::in_place_index<1>, std::move(u.error)) {}  // NOLINT
  // Builds the value in place (no temporary to copy: large values on hot paths).
  template <typename... Args>
  explicit Result(std::in_place_t, Args&&... args)
      : v_(std::in_place_index<0>, std::forward<Args>(args)...) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // Accessing the wrong alternative is a broken invariant: abort (fuzzers must see it).
  T& value() & { return Check(0), std::get<0>(v_); }
  const T& value() const& { return Check(0), std::get<0>(v_); }
  T&& value() && { return Check(0), std::get<0>(std::move(v_)); }
  E& error() & { return Check(1), std::get<1>(v_); }
  const E& error() const& { return Check(1), std::get<1>(v_); }

  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  void Check(std::size_t want) const {
    if (v_.index() != want) std::abort();
  }
  std::variant<T, E> v_;
};

template <typename E>
using Status = Result<Ok, E>;

}  // namespace mpdrill

#endif  // MPDRILL_BASE_RESULT_H_
