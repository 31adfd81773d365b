// Binary assets (rendered panel images) per space, for the server to serve
// (assets/1 capability). Ids are the SHA-256 of the bytes, so the same image
// gives the same id; ids are looked up only within their space (P6). Content
// types are allowlisted and the bytes must start like that type. Stored
// encrypted (they are renderings of Grafana data, P5).
#pragma once

#include <string>
#include <vector>

#include "store/context.h"
#include "store/crypto/secure_bytes.h"

namespace vitrine::store {

struct AssetLimits {
  int64_t max_bytes = 8ll << 20;
};

struct Asset {
  std::string id;
  std::string content_type;
  crypto::SecretBytes data;
};

bool allowed_asset_type(std::string_view content_type);

class Assets {
 public:
  Assets(Context ctx, AssetLimits limits = {}) : ctx_(std::move(ctx)), limits_(limits) {}

  Result<std::string> put(const std::string& space, std::string_view content_type,
                          std::string_view data);  // returns the id
  Result<Asset> get(const std::string& space, const std::string& id);
  Result<std::vector<AssetRow>> list(const std::string& space);
  Status remove(const std::string& who, const std::string& space, const std::string& id);

 private:
  Context ctx_;
  AssetLimits limits_;
};

}  // namespace vitrine::store
