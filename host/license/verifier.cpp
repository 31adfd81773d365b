#include "license/verifier.h"

#include <Poco/Base64Decoder.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <regex>
#include <set>
#include <sstream>

#include "license/envelope.h"

namespace vitrine::license {
namespace {

std::string b64(const char* text) {
  std::istringstream src(text);
  Poco::Base64Decoder dec(src);
  return std::string(std::istreambuf_iterator<char>(dec), std::istreambuf_iterator<char>());
}

// Only Ed25519: one algorithm means no downgrade and no algorithm
// confusion ("alg": "none", RSA keys read as HMAC secrets, ...).
const std::set<std::string, std::less<>> kAllowedAlgorithms = {"ed25519"};

// The payload's closed schema: unknown fields are refused so that a field a
// newer issuer adds (say, a restriction) is never silently ignored.
const std::set<std::string, std::less<>> kPayloadFields = {"licensee",   "license_id", "product",
                                                           "features",   "max_spaces", "issued",
                                                           "not_before", "expires"};

}  // namespace

bool License::has_feature(const std::string& f) const {
  return std::find(features.begin(), features.end(), f) != features.end();
}

const std::vector<TrustedKey>& vendor_keys() {
  // The release signer's public key. Its private half is held by the
  // release signer and is not in this repository.
  static const std::vector<TrustedKey> keys = {
      {"vitrine-2026", b64("LAwy66IODBrZzkIefnMGdeiqFTYlVs9dhwlXt4ixSMw="), false},
  };
  return keys;
}

bool parse_rfc3339(std::string_view text, int64_t& out) {
  static const std::regex re(R"((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z)");
  std::cmatch m;
  if (!std::regex_match(text.begin(), text.end(), m, re)) return false;
  std::tm tm{};
  tm.tm_year = std::stoi(m[1]) - 1900;
  tm.tm_mon = std::stoi(m[2]) - 1;
  tm.tm_mday = std::stoi(m[3]);
  tm.tm_hour = std::stoi(m[4]);
  tm.tm_min = std::stoi(m[5]);
  tm.tm_sec = std::stoi(m[6]);
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 59) {
    return false;
  }
  out = static_cast<int64_t>(timegm(&tm));
  return true;
}

std::string format_rfc3339(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string sign_license(std::string_view private_key, std::string_view kid,
                         std::string_view payload_json) {
  std::string sig = ed25519_sign(private_key, signing_message(kid, payload_json));
  return sig.empty() ? std::string() : make_envelope(kid, payload_json, sig);
}

VerifyResult verify_license(std::string_view text, const VerifyOptions& opt) {
  VerifyResult r;
  auto fail = [&](std::string rule, std::string reason) {
    r.ok = false;
    r.rule = std::move(rule);
    r.reason = std::move(reason);
    return r;
  };
  auto env = parse_envelope(text);
  if (!env.ok) return fail(env.rule, env.reason);
  const Envelope& e = env.envelope;

  if (!kAllowedAlgorithms.count(e.alg)) {
    return fail("license-alg", "signature algorithm '" + e.alg +
                                   "' is not accepted; licenses are signed with ed25519");
  }
  const TrustedKey* key = nullptr;
  for (const auto& k : opt.keys) {
    if (k.kid == e.kid) key = &k;
  }
  if (key == nullptr) {
    // A development license (vitrine license dev) on a host without dev mode
    // is the common case; say how to accept it rather than "upgrade".
    if (e.kid.rfind("dev-", 0) == 0) {
      return fail("license-key-unknown",
                  "license was signed with the development key '" + e.kid +
                      "', which a host trusts only with dev_mode: true in vitrine.yml (and "
                      "'vitrine license verify|install' only with --dev); never in production");
    }
    return fail("license-key-unknown",
                "license was signed with key '" + e.kid +
                    "', which this host does not trust; upgrade the host or ask the issuer "
                    "for a license signed with a current key");
  }
  if (key->dev && !opt.dev_mode) {
    return fail("license-dev-key",
                "this is a development license; it is accepted only by a host with dev_mode: "
                "true in vitrine.yml (the license CLI: --dev), never in production");
  }
  // The signature is checked before a single payload byte is interpreted.
  if (!ed25519_verify(key->public_key, signing_message(e.kid, e.payload), e.signature)) {
    return fail("license-signature",
                "the license signature does not verify: the file was altered or signed by "
                "another key; use the file exactly as issued");
  }

  Poco::JSON::Object::Ptr p;
  try {
    Poco::JSON::Parser parser;
    p = parser.parse(e.payload).extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception&) {
    return fail("license-payload", "the signed payload is not a JSON object");
  }
  for (const auto& name : p->getNames()) {
    if (!kPayloadFields.count(name)) {
      return fail("license-payload", "the payload has unknown field '" + name +
                                         "'; this host is too old for this license");
    }
  }
  License& l = r.license;
  auto text_field = [&](const char* name, std::string& out) {
    if (!p->has(name) || !p->get(name).isString()) return false;
    out = p->getValue<std::string>(name);
    return !out.empty();
  };
  auto time_field = [&](const char* name, int64_t& out) {
    std::string t;
    return text_field(name, t) && parse_rfc3339(t, out);
  };
  if (!text_field("licensee", l.licensee) || !text_field("license_id", l.license_id) ||
      !text_field("product", l.product)) {
    return fail("license-payload", "the payload needs licensee, license_id and product");
  }
  if (!time_field("issued", l.issued) || !time_field("not_before", l.not_before) ||
      !time_field("expires", l.expires)) {
    return fail("license-payload", "issued, not_before and expires must be RFC 3339 UTC times");
  }
  if (p->has("max_spaces")) {
    try {
      int v = p->getValue<int>("max_spaces");
      if (v < 0) return fail("license-payload", "max_spaces must not be negative");
      l.max_spaces = static_cast<uint32_t>(v);
    } catch (const std::exception&) {
      return fail("license-payload", "max_spaces must be a whole number");
    }
  }
  if (p->has("features")) {
    auto arr = p->getArray("features");
    if (!arr) return fail("license-payload", "features must be a list of names");
    for (size_t i = 0; i < arr->size(); ++i) {
      if (!arr->get(static_cast<unsigned>(i)).isString()) {
        return fail("license-payload", "features must be a list of names");
      }
      l.features.push_back(arr->getElement<std::string>(static_cast<unsigned>(i)));
    }
  }
  l.key_id = e.kid;
  l.dev = key->dev;
  if (l.product != opt.product) {
    return fail("license-product",
                "license is for product '" + l.product + "', not '" + opt.product + "'");
  }
  if (opt.now < l.not_before) {
    return fail("license-not-yet-valid", "license is valid from " + format_rfc3339(l.not_before) +
                                             "; it is now " + format_rfc3339(opt.now) +
                                             " (check the system clock)");
  }
  if (opt.now >= l.expires) {
    return fail("license-expired", "license " + l.license_id + " expired at " +
                                       format_rfc3339(l.expires) + "; install a renewed license");
  }
  r.ok = true;
  return r;
}

}  // namespace vitrine::license
