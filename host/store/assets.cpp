#include "store/assets.h"

#include "digest/sha256.h"
#include "store/audit.h"
#include "store/crypto/encoding.h"
#include "store/crypto/secret_box.h"

namespace vitrine::store {
namespace {

struct TypeRule {
  std::string_view type;
  bool (*sniff)(std::string_view data);
};

bool is_png(std::string_view d) {
  return d.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8);
}
bool is_jpeg(std::string_view d) { return d.substr(0, 3) == "\xFF\xD8\xFF"; }
bool is_svg(std::string_view d) {
  std::size_t i = d.find_first_not_of(" \t\r\n");
  if (i == std::string_view::npos || d[i] != '<') return false;
  return d.substr(0, 4096).find("<svg") != std::string_view::npos;
}

constexpr TypeRule kTypes[] = {
    {"image/png", is_png},
    {"image/jpeg", is_jpeg},
    {"image/svg+xml", is_svg},
};

const TypeRule* find_type(std::string_view t) {
  for (const auto& r : kTypes) {
    if (r.type == t) return &r;
  }
  return nullptr;
}

crypto::Binding asset_binding(const std::string& space, const std::string& id,
                              const std::string& type) {
  return crypto::Binding{"asset", space, id, type};
}

bool valid_asset_id(const std::string& id) {
  if (id.size() != 64) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

bool allowed_asset_type(std::string_view content_type) {
  return find_type(content_type) != nullptr;
}

Result<std::string> Assets::put(const std::string& space, std::string_view content_type,
                                std::string_view data) {
  const TypeRule* rule = find_type(content_type);
  if (rule == nullptr) {
    return make_error(Errc::invalid, "content type '" + std::string(content_type.substr(0, 64)) +
                                         "' is not allowed; use image/png, image/jpeg or "
                                         "image/svg+xml");
  }
  if (data.empty() || static_cast<int64_t>(data.size()) > limits_.max_bytes) {
    return make_error(Errc::invalid, "asset is " + std::to_string(data.size()) +
                                         " bytes; it must be 1.." +
                                         std::to_string(limits_.max_bytes) + " bytes");
  }
  if (!rule->sniff(data)) {
    return make_error(Errc::invalid, "the bytes are not a " + std::string(rule->type) +
                                         " image; pass the content type that matches the data");
  }
  auto ring = ctx_.keyring();
  if (!ring) return ring.error();
  auto sp = ctx_.db.get_space(space);
  if (!sp) return sp.error();
  std::string id = digest::sha256_hex(data);
  std::string type(content_type);
  auto record = crypto::seal(**ring, asset_binding(space, id, type), data);
  if (!record) return record.error();
  AssetRow row{space, id, type, *record, static_cast<int64_t>(data.size()), ctx_.now()};
  if (auto st = ctx_.db.put_asset(row); !st) return st.error();
  return id;
}

Result<Asset> Assets::get(const std::string& space, const std::string& id) {
  if (!valid_asset_id(id)) {
    return make_error(Errc::not_found, "asset '" + id.substr(0, 80) + "' not found");
  }
  auto row = ctx_.db.get_asset(space, id);
  if (!row) return row.error();
  auto ring = ctx_.keyring_for(row->record);
  if (!ring) return ring.error();
  auto plain = crypto::open(**ring, asset_binding(space, id, row->content_type), row->record);
  if (!plain) return plain.error();
  return Asset{id, row->content_type, std::move(*plain)};
}

Result<std::vector<AssetRow>> Assets::list(const std::string& space) {
  auto sp = ctx_.db.get_space(space);
  if (!sp) return sp.error();
  return ctx_.db.list_assets(space);
}

Status Assets::remove(const std::string& who, const std::string& space, const std::string& id) {
  return run_audited(ctx_, AuditEvent{who, space, "asset.delete", id, "", {}},
                     [&]() -> Status { return ctx_.db.delete_asset(space, id); });
}

}  // namespace vitrine::store
