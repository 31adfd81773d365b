#include "bundle/format.h"

#include <charconv>

namespace vitrine::bundle {
namespace {

constexpr std::string_view kDomain = "vitrine-plugin/1 index";
constexpr size_t kMaxLineValue = 80;

bool fail(Refusal& refusal, std::string rule, std::string reason) {
  refusal = Refusal{std::move(rule), std::move(reason)};
  return false;
}

bool truncated(Refusal& refusal, size_t size, std::string_view where) {
  return fail(refusal, "bundle-truncated",
              "the bundle ends after " + std::to_string(size) + " bytes, inside " +
                  std::string(where) + "; the file was cut short, so copy or download it again");
}

// Reads "PREFIX VALUE\n" at `pos`. Input that is a strict prefix of such a
// line is a truncation; anything else that does not fit is a format error.
bool read_line(std::string_view bytes, size_t& pos, std::string_view prefix, std::string_view where,
               std::string& value, Refusal& refusal) {
  std::string_view rest = bytes.substr(pos);
  const size_t common = std::min(rest.size(), prefix.size());
  if (rest.substr(0, common) != prefix.substr(0, common)) {
    return fail(refusal, "bundle-format",
                "the bundle's " + std::string(where) + " is not '" + std::string(prefix) +
                    "...'; this is not a vitrine-plugin/1 bundle, so create it with 'vitrine "
                    "plugins pack'");
  }
  if (rest.size() < prefix.size()) return truncated(refusal, bytes.size(), where);
  const size_t nl = rest.find('\n', prefix.size());
  if (nl == std::string_view::npos) {
    if (rest.size() - prefix.size() <= kMaxLineValue) {
      return truncated(refusal, bytes.size(), where);
    }
    return fail(refusal, "bundle-format",
                "the bundle's " + std::string(where) + " is longer than " +
                    std::to_string(kMaxLineValue) +
                    " characters; this is not a vitrine-plugin/1 bundle");
  }
  value.assign(rest.substr(prefix.size(), nl - prefix.size()));
  if (value.size() > kMaxLineValue) {
    return fail(refusal, "bundle-format",
                "the bundle's " + std::string(where) + " is longer than " +
                    std::to_string(kMaxLineValue) +
                    " characters; this is not a vitrine-plugin/1 bundle");
  }
  pos += nl + 1;
  return true;
}

}  // namespace

std::string signing_message(std::string_view index) {
  std::string m(kDomain);
  m.push_back('\0');
  m.append(index);
  return m;
}

bool valid_key_id(std::string_view key_id) {
  constexpr std::string_view prefix = "ed25519-";
  if (key_id.size() != prefix.size() + 32 || key_id.substr(0, prefix.size()) != prefix) {
    return false;
  }
  for (char c : key_id.substr(prefix.size())) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool decode(std::string_view bytes, Frame& out, Refusal& refusal) {
  if (bytes.size() > kMaxBundleBytes) {
    return fail(refusal, "bundle-too-large",
                "the bundle is " + std::to_string(bytes.size()) + " bytes, over the " +
                    std::to_string(kMaxBundleBytes) +
                    "-byte limit; a plugin library may be at most 64 MiB");
  }
  size_t pos = 0;
  std::string value;
  if (!read_line(bytes, pos, kMagic, "first line", value, refusal)) return false;
  if (!value.empty()) {
    return fail(refusal, "bundle-format",
                "the bundle's first line is '" + std::string(kMagic) + value +
                    "'; this host reads only vitrine-plugin/1 bundles, so upgrade the host or "
                    "pack the plugin with this host's 'vitrine plugins pack'");
  }
  if (!read_line(bytes, pos, "key: ", "key line", value, refusal)) return false;
  if (value == "none") {
    out.key_id.clear();
  } else if (valid_key_id(value)) {
    out.key_id = value;
  } else {
    return fail(refusal, "bundle-format",
                "the bundle's key line names '" + value +
                    "', which is neither 'none' nor a key id (ed25519- and 32 hex digits); "
                    "pack the plugin again");
  }
  if (!read_line(bytes, pos, "index: ", "index line", value, refusal)) return false;
  size_t index_size = 0;
  const char* first = value.data();
  const char* last = value.data() + value.size();
  auto [end, ec] = std::from_chars(first, last, index_size);
  if (ec != std::errc() || end != last || value.empty() || value[0] == '0') {
    return fail(
        refusal, "bundle-format",
        "the bundle's index line holds '" + value + "', not a byte count; pack the plugin again");
  }
  if (index_size > kMaxIndexBytes) {
    return fail(refusal, "bundle-too-large",
                "the bundle's index is " + std::to_string(index_size) + " bytes, over the " +
                    std::to_string(kMaxIndexBytes) + "-byte limit; pack the plugin again");
  }
  if (bytes.size() - pos < index_size) return truncated(refusal, bytes.size(), "the index");
  out.index = bytes.substr(pos, index_size);
  pos += index_size;
  out.signature = {};
  if (!out.key_id.empty()) {
    if (bytes.size() - pos < kSignatureBytes) {
      return truncated(refusal, bytes.size(), "the signature");
    }
    out.signature = bytes.substr(pos, kSignatureBytes);
    pos += kSignatureBytes;
  }
  out.payload = bytes.substr(pos);
  return true;
}

std::string encode(std::string_view key_id, std::string_view index, std::string_view signature,
                   const std::vector<std::string_view>& entries) {
  std::string out;
  size_t total = index.size() + signature.size() + 64;
  for (auto e : entries) total += e.size();
  out.reserve(total);
  out.append(kMagic).append("\n");
  out.append("key: ").append(key_id.empty() ? std::string_view("none") : key_id).append("\n");
  out.append("index: ").append(std::to_string(index.size())).append("\n");
  out.append(index);
  out.append(signature);
  for (auto e : entries) out.append(e);
  return out;
}

}  // namespace vitrine::bundle
