#include "license/envelope.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

namespace vitrine::license {
namespace {

bool b64_decode(const std::string& in, std::string& out) {
  for (char c : in) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/' || c == '=';
    if (!ok) return false;
  }
  try {
    std::istringstream src(in);
    Poco::Base64Decoder dec(src);
    out.assign(std::istreambuf_iterator<char>(dec), std::istreambuf_iterator<char>());
    return true;
  } catch (const Poco::Exception&) {
    return false;
  }
}

std::string b64_encode(std::string_view in) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);
  enc.write(in.data(), static_cast<std::streamsize>(in.size()));
  enc.close();
  return out.str();
}

}  // namespace

std::string signing_message(std::string_view kid, std::string_view payload) {
  std::string m(kDomain);
  m.push_back('\0');
  m.append(kid);
  m.push_back('\0');
  m.append(payload);
  return m;
}

std::string make_envelope(std::string_view kid, std::string_view payload,
                          std::string_view signature) {
  Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
  o.set("format", std::string(kFormat));
  o.set("alg", std::string("ed25519"));
  o.set("kid", std::string(kid));
  o.set("payload", b64_encode(payload));
  o.set("sig", b64_encode(signature));
  std::ostringstream out;
  o.stringify(out, 2);
  out << "\n";
  return out.str();
}

EnvelopeResult parse_envelope(std::string_view text) {
  EnvelopeResult r;
  auto fail = [&](std::string rule, std::string reason) {
    r.rule = std::move(rule);
    r.reason = std::move(reason);
    return r;
  };
  if (text.size() > 64 * 1024) {
    return fail("license-format", "the license file is larger than 64 KiB; it is not a license");
  }
  Poco::JSON::Object::Ptr o;
  try {
    Poco::JSON::Parser parser;
    o = parser.parse(std::string(text)).extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception&) {
    return fail("license-format",
                "the license file is not a JSON license envelope; use the file as issued");
  }
  auto str = [&](const char* key, std::string& out) {
    if (!o->has(key) || !o->get(key).isString()) return false;
    out = o->getValue<std::string>(key);
    return true;
  };
  std::string format, payload_b64, sig_b64;
  if (!str("format", format) || format != kFormat) {
    return fail("license-format", "unknown license format; expected \"" + std::string(kFormat) +
                                      "\" (is this a license for another product?)");
  }
  if (!str("alg", r.envelope.alg) || !str("kid", r.envelope.kid) || !str("payload", payload_b64) ||
      !str("sig", sig_b64)) {
    return fail("license-format", "the license envelope lacks alg, kid, payload or sig");
  }
  if (!b64_decode(payload_b64, r.envelope.payload) || !b64_decode(sig_b64, r.envelope.signature)) {
    return fail("license-format", "payload or sig is not valid base64");
  }
  r.ok = true;
  return r;
}

}  // namespace vitrine::license
