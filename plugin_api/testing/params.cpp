// Typed parameters as the host binds them (plugin.h, ABI-12), and the small
// time grammar the mock resolves itself ("5m", "now-6h").
#include <charconv>

#include "mock_state.h"

namespace vitrine::mock {
namespace {

bool unit_ms(std::string_view unit, int64_t& out) {
  if (unit == "ms")
    out = 1;
  else if (unit == "s")
    out = 1000;
  else if (unit == "m")
    out = 60'000;
  else if (unit == "h")
    out = 3'600'000;
  else if (unit == "d")
    out = 86'400'000;
  else if (unit == "w")
    out = 604'800'000;
  else
    return false;
  return true;
}

vitrine_status set(vitrine_mock_host* h, const char* name, Param p) {
  if (h == nullptr || name == nullptr || *name == '\0') return VITRINE_E_INVALID;
  p.name = name;
  for (auto& existing : h->params) {
    if (existing.name == p.name) {
      existing = std::move(p);
      return VITRINE_OK;
    }
  }
  h->params.push_back(std::move(p));
  return VITRINE_OK;
}

vitrine_status set_text(vitrine_mock_host* h, const char* name, vitrine_param_type type,
                        const char* value) {
  if (value == nullptr) return VITRINE_E_INVALID;
  Param p;
  p.type = type;
  p.text = value;
  return set(h, name, std::move(p));
}

}  // namespace

bool parse_duration(std::string_view text, int64_t& out_ms) {
  int64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end == text.data() || n < 0) return false;
  int64_t unit = 0;
  if (!unit_ms(std::string_view(end, static_cast<size_t>(text.data() + text.size() - end)), unit)) {
    return false;
  }
  if (n > INT64_MAX / unit) return false;
  out_ms = n * unit;
  return true;
}

bool resolve_relative(std::string_view text, int64_t now_ms, int64_t& out) {
  if (text == "now") {
    out = now_ms;
    return true;
  }
  if (text.substr(0, 4) != "now-") return false;
  int64_t ms = 0;
  if (!parse_duration(text.substr(4), ms)) return false;
  out = now_ms - ms;
  return true;
}

}  // namespace vitrine::mock

using vitrine::mock::Param;

extern "C" {

vitrine_status vitrine_mock_host_param_string(vitrine_mock_host* host, const char* name,
                                              const char* value) {
  return vitrine::mock::set_text(host, name, VITRINE_PARAM_STRING, value);
}

vitrine_status vitrine_mock_host_param_integer(vitrine_mock_host* host, const char* name,
                                               int64_t value) {
  Param p;
  p.type = VITRINE_PARAM_INTEGER;
  p.int_value = value;
  p.text = std::to_string(value);
  return vitrine::mock::set(host, name, std::move(p));
}

vitrine_status vitrine_mock_host_param_boolean(vitrine_mock_host* host, const char* name,
                                               int value) {
  Param p;
  p.type = VITRINE_PARAM_BOOLEAN;
  p.int_value = value != 0 ? 1 : 0;
  p.text = value != 0 ? "true" : "false";
  return vitrine::mock::set(host, name, std::move(p));
}

vitrine_status vitrine_mock_host_param_enum(vitrine_mock_host* host, const char* name,
                                            const char* value) {
  return vitrine::mock::set_text(host, name, VITRINE_PARAM_ENUM, value);
}

vitrine_status vitrine_mock_host_param_enum_list(vitrine_mock_host* host, const char* name,
                                                 const char* const* items, size_t item_count) {
  if (items == nullptr && item_count != 0) return VITRINE_E_INVALID;
  Param p;
  p.type = VITRINE_PARAM_ENUM_LIST;
  for (size_t i = 0; i < item_count; ++i) {
    if (items[i] == nullptr) return VITRINE_E_INVALID;
    p.items.emplace_back(items[i]);
    p.text += (i == 0 ? "" : ",") + p.items.back();
  }
  return vitrine::mock::set(host, name, std::move(p));
}

vitrine_status vitrine_mock_host_param_duration(vitrine_mock_host* host, const char* name,
                                                const char* text) {
  if (text == nullptr) return VITRINE_E_INVALID;
  Param p;
  p.type = VITRINE_PARAM_DURATION;
  p.text = text;
  if (!vitrine::mock::parse_duration(p.text, p.int_value)) return VITRINE_E_INVALID;
  return vitrine::mock::set(host, name, std::move(p));
}

vitrine_status vitrine_mock_host_param_time(vitrine_mock_host* host, const char* name,
                                            const char* text, int64_t unix_ms) {
  if (text == nullptr) return VITRINE_E_INVALID;
  Param p;
  p.type = VITRINE_PARAM_TIME;
  p.text = text;
  p.int_value = unix_ms;
  return vitrine::mock::set(host, name, std::move(p));
}

vitrine_status vitrine_mock_host_param_uid(vitrine_mock_host* host, const char* name,
                                           const char* uid) {
  return vitrine::mock::set_text(host, name, VITRINE_PARAM_UID, uid);
}

vitrine_status vitrine_mock_host_param_mark_default(vitrine_mock_host* host, const char* name) {
  if (host == nullptr || name == nullptr) return VITRINE_E_INVALID;
  for (auto& p : host->params) {
    if (p.name == name) {
      p.is_default = 1;
      return VITRINE_OK;
    }
  }
  return VITRINE_E_NOT_FOUND;
}

void vitrine_mock_host_clear_params(vitrine_mock_host* host) {
  if (host != nullptr) host->params.clear();
}

}  // extern "C"
