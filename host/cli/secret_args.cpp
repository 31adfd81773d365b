#include "cli/secret_args.h"

#include <algorithm>
#include <cctype>
#include <iostream>
#include <streambuf>

namespace vitrine::cli {
namespace {

constexpr std::string_view kRedacted = "[redacted]";
// Shorter values are not worth hiding and would mangle unrelated output.
constexpr std::size_t kMinSecret = 4;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

// "token", "api-token", "password", "client_secret", "key", "api-key": the
// value is a secret. "key-file", "token-path", "from-file": it is not.
bool secret_option(std::string_view dashed_name) {
  const std::string name = lower(dashed_name.substr(dashed_name.find_first_not_of('-')));
  for (std::string_view where : {"-file", "_file", "-dir", "_dir", "-path", "_path", "-env"}) {
    if (ends_with(name, where)) return false;
  }
  for (std::string_view word : {"token", "password", "passwd", "secret", "credential"}) {
    if (name.find(word) != std::string::npos) return true;
  }
  return name == "key" || ends_with(name, "-key") || ends_with(name, "_key") || name == "pass";
}

bool token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
}

bool key_material_char(char c) { return token_char(c) || c == '+' || c == '/' || c == '='; }

bool looks_like_key_material(std::string_view v) {
  // Options ("--name=...") and paths are not key material themselves.
  if (v.size() < 32 || v.front() == '/' || v.front() == '.' || v.front() == '-') return false;
  if (!std::all_of(v.begin(), v.end(), key_material_char)) return false;
  const bool digit =
      std::any_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); });
  const bool alpha =
      std::any_of(v.begin(), v.end(), [](unsigned char c) { return std::isalpha(c); });
  return digit && alpha;
}

void add(std::vector<std::string>& out, std::string_view v) {
  if (v.size() >= kMinSecret) out.emplace_back(v);
}

// Known token prefixes anywhere in `v` (also inside e.g. "Bearer glsa_...").
void add_prefixed_tokens(std::vector<std::string>& out, std::string_view v) {
  for (std::string_view prefix : {"glsa_", "glc_", "vtr_"}) {
    for (auto at = v.find(prefix); at != std::string_view::npos; at = v.find(prefix, at + 1)) {
      auto end = at;
      while (end < v.size() && token_char(v[end])) ++end;
      add(out, v.substr(at, end - at));
    }
  }
}

// "Authorization: Bearer xyz" (e.g. `egress check --header`): the
// credential after the scheme.
void add_authorization(std::vector<std::string>& out, std::string_view v) {
  const std::string low = lower(v);
  const auto at = low.find("authorization:");
  if (at == std::string::npos) return;
  auto value = v.substr(at + 14);
  value.remove_prefix(std::min(value.find_first_not_of(' '), value.size()));
  const auto space = value.find(' ');
  if (space != std::string_view::npos) add(out, value.substr(space + 1));
  add(out, value);
}

}  // namespace

std::vector<std::string> secret_arguments(int argc, const char* const* argv) {
  std::vector<std::string> out;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    add_prefixed_tokens(out, arg);
    add_authorization(out, arg);
    if (looks_like_key_material(arg)) add(out, arg);
    if (arg.size() < 2 || arg[0] != '-' || arg == "--") continue;
    const auto eq = arg.find('=');
    const std::string_view name = arg.substr(0, eq);
    if (name.find_first_not_of('-') == std::string_view::npos) continue;
    if (eq != std::string_view::npos) {
      const std::string_view value = arg.substr(eq + 1);
      if (secret_option(name)) add(out, value);
      if (looks_like_key_material(value)) add(out, value);
    } else if (secret_option(name) && i + 1 < argc) {
      add(out, argv[i + 1]);
    }
  }
  // Longest first, so a secret containing another is hidden whole.
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() > b.size() : a < b;
  });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string redact(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& s : secrets) {
    for (auto at = text.find(s); at != std::string::npos;
         at = text.find(s, at + kRedacted.size())) {
      text.replace(at, s.size(), kRedacted);
    }
  }
  return text;
}

// Holds output until a line ends or the stream is flushed, so a secret is
// always redacted whole; std::cerr (unit-buffered) flushes after every
// insertion, which still passes each inserted string in one piece.
class RedactedOutput::Buffer final : public std::streambuf {
 public:
  Buffer(std::streambuf* dest, const std::vector<std::string>& secrets)
      : dest_(dest), secrets_(secrets) {}
  std::streambuf* dest() const { return dest_; }
  void flush_pending() {
    if (pending_.empty()) return;
    const std::string clean = redact(std::move(pending_), secrets_);
    pending_.clear();
    dest_->sputn(clean.data(), static_cast<std::streamsize>(clean.size()));
  }

 protected:
  int_type overflow(int_type c) override {
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    pending_.push_back(traits_type::to_char_type(c));
    if (c == '\n') flush_pending();
    return c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    pending_.append(s, static_cast<std::size_t>(n));
    if (pending_.find('\n') != std::string::npos) {
      // Keep an unfinished last line for later.
      const auto last = pending_.rfind('\n');
      std::string rest = pending_.substr(last + 1);
      pending_.resize(last + 1);
      flush_pending();
      pending_ = std::move(rest);
    }
    return n;
  }
  int sync() override {
    flush_pending();
    return dest_->pubsync();
  }

 private:
  std::streambuf* dest_;
  const std::vector<std::string>& secrets_;
  std::string pending_;
};

RedactedOutput::RedactedOutput(std::vector<std::string> secrets) : secrets_(std::move(secrets)) {
  out_ = std::make_unique<Buffer>(std::cout.rdbuf(), secrets_);
  err_ = std::make_unique<Buffer>(std::cerr.rdbuf(), secrets_);
  std::cout.rdbuf(out_.get());
  std::cerr.rdbuf(err_.get());
}

RedactedOutput::~RedactedOutput() {
  out_->flush_pending();
  err_->flush_pending();
  std::cout.rdbuf(out_->dest());
  std::cerr.rdbuf(err_->dest());
  std::cout.flush();
  std::cerr.flush();
}

}  // namespace vitrine::cli
