// The license file's outer form: a JSON envelope around the signed payload.
//
//   {"format": "vitrine-license/1", "alg": "ed25519", "kid": "vitrine-2026",
//    "payload": "<base64 of the payload JSON bytes>", "sig": "<base64 signature>"}
//
// The signature covers signing_message(kid, payload): a domain-separation
// prefix, the key id and the exact payload bytes, so a signature made for
// another purpose or another key id never verifies as a license.
#pragma once

#include <string>
#include <string_view>

namespace vitrine::license {

inline constexpr std::string_view kFormat = "vitrine-license/1";
inline constexpr std::string_view kDomain = "vitrine-license-v1";

struct Envelope {
  std::string alg;
  std::string kid;
  std::string payload;    // decoded bytes (JSON)
  std::string signature;  // decoded bytes
};

struct EnvelopeResult {
  bool ok = false;
  Envelope envelope;
  std::string rule;
  std::string reason;
};

EnvelopeResult parse_envelope(std::string_view text);
std::string signing_message(std::string_view kid, std::string_view payload);
std::string make_envelope(std::string_view kid, std::string_view payload,
                          std::string_view signature);

}  // namespace vitrine::license
