#include "vitrine_plugin/params.h"

#include <cctype>

#include "vitrine_plugin/caps.h"

namespace vitrine::pc {
namespace {

bool equals(vitrine_str a, std::string_view b) {
  return a.len == b.size() && (a.len == 0 || std::string_view(a.ptr, a.len) == b);
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) s.remove_suffix(1);
  return std::string(s);
}

bool icontains(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    size_t k = 0;
    while (k < needle.size() && std::tolower(static_cast<unsigned char>(hay[i + k])) ==
                                    std::tolower(static_cast<unsigned char>(needle[k]))) {
      ++k;
    }
    if (k == needle.size()) return true;
  }
  return false;
}

}  // namespace

const vitrine_param* Params::find(std::string_view name) const {
  if (req_ == nullptr || req_->params == nullptr) return nullptr;
  for (size_t i = 0; i < req_->param_count; ++i) {
    if (equals(req_->params[i].name, name)) return &req_->params[i];
  }
  return nullptr;
}

bool Params::is_set(std::string_view name) const {
  const vitrine_param* p = find(name);
  return p != nullptr && p->is_default == 0;
}

std::string Params::text(std::string_view name, std::string fallback) const {
  const vitrine_param* p = find(name);
  return p == nullptr ? fallback : from_vstr(p->text_value);
}

std::optional<int64_t> Params::integer(std::string_view name) const {
  const vitrine_param* p = find(name);
  if (p == nullptr) return std::nullopt;
  return p->int_value;
}

std::vector<std::string> Params::items(std::string_view name) const {
  std::vector<std::string> out;
  const vitrine_param* p = find(name);
  if (p == nullptr) return out;
  if (p->items != nullptr && p->item_count > 0) {
    for (size_t i = 0; i < p->item_count; ++i) {
      std::string v = trim(from_vstr(p->items[i]));
      if (!v.empty()) out.push_back(v);
    }
    return out;
  }
  const std::string all = from_vstr(p->text_value);
  size_t start = 0;
  while (start <= all.size()) {
    size_t comma = all.find(',', start);
    if (comma == std::string::npos) comma = all.size();
    std::string v = trim(std::string_view(all).substr(start, comma - start));
    if (!v.empty()) out.push_back(v);
    start = comma + 1;
  }
  return out;
}

bool looks_like_secret(std::string_view v) {
  // Service-account tokens (glsa_), Grafana Cloud access tokens (glc_),
  // Authorization header values, and legacy API keys, which are base64 of
  // {"k":"... and therefore always start with eyJrIjoi.
  return icontains(v, "glsa_") || icontains(v, "glc_") || icontains(v, "bearer ") ||
         v.find("eyJrIjoi") != std::string_view::npos;
}

std::optional<std::string> secret_looking_param(const vitrine_render_request* req) {
  if (req == nullptr || req->params == nullptr) return std::nullopt;
  for (size_t i = 0; i < req->param_count; ++i) {
    const vitrine_param& p = req->params[i];
    bool secret = looks_like_secret(
        std::string_view(p.text_value.ptr == nullptr ? "" : p.text_value.ptr, p.text_value.len));
    for (size_t k = 0; !secret && p.items != nullptr && k < p.item_count; ++k) {
      secret = looks_like_secret(from_vstr(p.items[k]));
    }
    if (secret) return from_vstr(p.name);
  }
  return std::nullopt;
}

}  // namespace vitrine::pc
