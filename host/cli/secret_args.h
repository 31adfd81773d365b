// Secrets typed on the command line never come back in the output.
//
// A token pasted where it does not belong (`--token=glsa_...`, a stray
// positional argument) is echoed by the argument parser's usage errors
// ("The following arguments were not expected: glsa_...") and by any
// message that repeats an argument. The binary therefore finds, before
// parsing, every argument value that is or looks like a secret, and filters
// everything it writes to stdout and stderr through `redact`.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace vitrine::cli {

// The argument values to hide:
//   * the value of an option whose name says it holds a secret
//     (--token, --password, --secret, --key, --api-key, ...; "--name=VALUE"
//     and "--name VALUE"), but not of options naming where a secret lives
//     (--key-file, --token-file, ...);
//   * any argument holding a Grafana token (glsa_, glc_) or a vitrine admin
//     token (vtr_), wherever it appears, and the credential of an
//     "Authorization: ..." header value;
//   * any long argument that looks like key material: 32+ characters of
//     letters, digits and _-+/=, with both letters and digits, not a path.
std::vector<std::string> secret_arguments(int argc, const char* const* argv);

// `text` with every occurrence of every secret replaced by [redacted].
std::string redact(std::string text, const std::vector<std::string>& secrets);

// While alive, std::cout and std::cerr pass through `redact` (a line at a
// time, and at every flush). Restores both on destruction.
class RedactedOutput {
 public:
  explicit RedactedOutput(std::vector<std::string> secrets);
  ~RedactedOutput();
  RedactedOutput(const RedactedOutput&) = delete;
  RedactedOutput& operator=(const RedactedOutput&) = delete;

 private:
  class Buffer;
  std::vector<std::string> secrets_;
  std::unique_ptr<Buffer> out_, err_;
};

}  // namespace vitrine::cli
