#include "render/warm_evidence.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <fstream>
#include <regex>
#include <sstream>

#include "digest/sha256.h"
#include "store/crypto/encoding.h"

namespace vitrine::render {
namespace fs = std::filesystem;
namespace {

std::string id_for(int64_t ms, std::size_t macro) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%S", &tm);
  char millis[8];
  std::snprintf(millis, sizeof millis, "%03d", static_cast<int>(ms % 1000));
  return std::string(buf) + millis + "Z-m" + std::to_string(macro);
}

std::string to_json(const EvidenceRecord& r) {
  Poco::JSON::Object o;
  o.set("id", r.id);
  o.set("space", r.space);
  o.set("page", r.page);
  o.set("macro", static_cast<Poco::UInt64>(r.macro));
  o.set("key", r.key);
  Poco::JSON::Object params;
  for (const auto& [k, v] : r.params) params.set(k, v);
  o.set("params", params);
  o.set("pinned_by", r.pinned_by);
  o.set("pinned_at_ms", static_cast<Poco::Int64>(r.pinned_at_ms));
  o.set("as_of_ms", static_cast<Poco::Int64>(r.as_of_ms));
  o.set("state", r.state);
  o.set("html", r.html);
  o.set("sha256", r.sha256);
  std::ostringstream out;
  o.stringify(out);
  return out.str();
}

std::optional<EvidenceRecord> from_json(const std::string& text) {
  try {
    Poco::JSON::Parser parser;
    auto o = parser.parse(text).extract<Poco::JSON::Object::Ptr>();
    EvidenceRecord r;
    r.id = o->getValue<std::string>("id");
    r.space = o->getValue<std::string>("space");
    r.page = o->getValue<std::string>("page");
    r.macro = o->getValue<Poco::UInt64>("macro");
    r.key = o->getValue<std::string>("key");
    if (auto p = o->getObject("params")) {
      for (const auto& [k, v] : *p) r.params[k] = v.convert<std::string>();
    }
    r.pinned_by = o->getValue<std::string>("pinned_by");
    r.pinned_at_ms = o->getValue<Poco::Int64>("pinned_at_ms");
    r.as_of_ms = o->getValue<Poco::Int64>("as_of_ms");
    r.state = o->getValue<std::string>("state");
    r.html = o->getValue<std::string>("html");
    r.sha256 = o->getValue<std::string>("sha256");
    return r;
  } catch (const Poco::Exception&) {
    return std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<std::string> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

bool EvidenceStore::is_id(const std::string& id) {
  static const std::regex form("[0-9]{8}T[0-9]{9}Z-m[1-9][0-9]{0,2}");
  return std::regex_match(id, form);
}

std::string inline_assets(std::string html, const std::string& space, const AssetLookup& lookup) {
  const std::string prefix = "\"/assets/" + space + "/";
  std::size_t at = 0;
  while ((at = html.find(prefix, at)) != std::string::npos) {
    const std::size_t id_at = at + prefix.size();
    const std::size_t end = html.find('"', id_at);
    if (end == std::string::npos) break;
    const std::string id = html.substr(id_at, end - id_at);
    auto asset = lookup(id);
    if (!asset) {
      at = end;
      continue;
    }
    const std::string url = "\"data:" + asset->first + ";base64," +
                            store::crypto::base64_encode(store::crypto::as_bytes(asset->second)) +
                            "\"";
    html.replace(at, end + 1 - at, url);
    at += url.size();
  }
  return html;
}

std::optional<EvidenceRecord> EvidenceStore::pin(EvidenceRecord r, std::string& error) const {
  r.id = id_for(r.pinned_at_ms, r.macro);
  r.sha256 = digest::sha256_hex(r.html);
  const fs::path dir = root_ / r.space / r.page;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    error = "cannot create the evidence directory " + dir.string() + ": " + ec.message() +
            "; check the data directory's permissions";
    return std::nullopt;
  }
  const fs::path final_path = dir / (r.id + ".json");
  const fs::path tmp = dir / ("." + r.id + ".tmp");
  const std::string body = to_json(r);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool ok = fd >= 0;
  for (std::size_t done = 0; ok && done < body.size();) {
    const ssize_t n = ::write(fd, body.data() + done, body.size() - done);
    if (n <= 0) ok = false;
    done += n > 0 ? static_cast<std::size_t>(n) : 0;
  }
  if (ok) ok = ::fsync(fd) == 0 && ::fchmod(fd, 0444) == 0;
  if (fd >= 0) ::close(fd);
  // link(2) refuses an existing name: a record is never replaced.
  const bool linked = ok && ::link(tmp.c_str(), final_path.c_str()) == 0;
  const int link_errno = errno;
  ::unlink(tmp.c_str());
  if (!linked) {
    error = ok && link_errno == EEXIST
                ? "a record of this macro was pinned in the same millisecond; pin again"
                : "cannot write the evidence record in " + dir.string() +
                      "; check free space and the data directory's permissions";
    return std::nullopt;
  }
  return r;
}

std::vector<EvidenceRecord> EvidenceStore::list(const std::string& space,
                                                const std::string& page) const {
  std::vector<EvidenceRecord> out;
  std::error_code ec;
  for (fs::directory_iterator it(root_ / space / page, ec), end; !ec && it != end;
       it.increment(ec)) {
    const auto& p = it->path();
    if (p.extension() != ".json" || !is_id(p.stem().string())) continue;
    auto text = read_file(p);
    if (!text) continue;
    if (auto r = from_json(*text); r && r->id == p.stem().string()) out.push_back(std::move(*r));
  }
  std::sort(out.begin(), out.end(),
            [](const EvidenceRecord& a, const EvidenceRecord& b) { return a.id < b.id; });
  return out;
}

std::optional<EvidenceRecord> EvidenceStore::read(const std::string& space, const std::string& page,
                                                  const std::string& id) const {
  if (!is_id(id)) return std::nullopt;
  auto text = read_file(root_ / space / page / (id + ".json"));
  if (!text) return std::nullopt;
  auto r = from_json(*text);
  if (!r || r->id != id) return std::nullopt;
  return r;
}

}  // namespace vitrine::render
