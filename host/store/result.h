// Errors as values for the store: every expected failure (bad input, not
// found, wrong key, refused permission) is a Result, never an exception.
// Messages say what happened and what to do, and never contain secrets.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace vitrine::store {

enum class Errc {
  invalid,    // the input is malformed (key format, token shape, content type)
  not_found,  // no such space / record, or it belongs to another space (P6)
  conflict,   // already exists
  denied,     // authenticated but not allowed
  crypto,     // a record failed to decrypt or authenticate
  key,        // the master key / keyring is missing or unusable
  io,         // file system or database failure
};

std::string_view to_string(Errc code);

struct Error {
  Errc code = Errc::invalid;
  std::string message;
};

inline Error make_error(Errc code, std::string message) { return Error{code, std::move(message)}; }

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

struct Done {};
using Status = Result<Done>;
inline Status ok_status() { return Done{}; }

}  // namespace vitrine::store
