// Spaces and their Grafana connection (P4 P5 P6 P7).
//
// A space is connected to one Grafana origin. The origin must match an egress
// entry of an approved plugin (e.g. https://*.grafana.net for the bundled
// plugins); any other origin needs a platform admin's approval that binds a
// plugin's customer-managed entry to it, and private-network access is a
// separate explicit flag on top of that.
//
// The space's Grafana token is write-only: it is validated (glsa_ shape),
// encrypted with AES-256-GCM bound to (space, "grafana-token", origin), and
// never returned by any admin call. Only token_for(), which the HTTP
// capability calls to attach the token to a request for the space's own
// origin, decrypts it.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "egress/policy.h"
#include "store/backend.h"
#include "store/context.h"
#include "store/crypto/secure_bytes.h"
#include "store/space_files.h"

namespace vitrine::store {

inline constexpr const char* kGrafanaTokenRecord = "grafana-token";

struct ConnectRequest {
  std::string origin;             // https://HOST[:PORT]
  bool customer_managed = false;  // platform-admin approval of an origin outside the patterns
  std::string plugin_id;          // with customer_managed: whose entry is bound
  std::string entry;              // with customer_managed: that entry's text
  bool allow_private = false;     // platform-admin approval of private addresses (P7)
};

struct TokenStatus {
  bool configured = false;
  int64_t set_at_ms = 0;
  std::string set_by;
  std::string origin;  // the origin the token is bound to
  std::string key_id;  // the key that encrypts it (not secret)
};

struct SpaceView {
  SpaceRow space;
  std::vector<CustomerOriginRow> customer_origins;
  TokenStatus token;
  std::vector<EnablementRow> enabled_plugins;
};

struct ConnectionTestResult {
  bool ok = false;
  int http_status = 0;
  std::string message;  // never contains the token
};

// The HTTP capability performs the request (GET /api/health or /api/user on
// the space's origin, token attached by the host). The store only passes the
// space and its approved origins and records the outcome.
using ConnectionTester =
    std::function<ConnectionTestResult(const std::string& space, const egress::SpaceOrigins&)>;

// Deleting a space (docs/admin.md "Deleting a space").
struct RemoveOptions {
  std::optional<SpaceFiles> files;  // unset: database rows only (no pages directory)
  bool purge = false;               // remove the pages for good instead of the trash
};

struct RemovedSpace {
  std::string id;                   // the id the deleted space had
  std::vector<std::string> tokens;  // ids of the admin tokens revoked with it
  std::filesystem::path trashed;    // where its pages are now; empty: none, or purged
  bool purged = false;
  std::string warning;  // set when purging failed after the deletion
};

class Spaces {
 public:
  explicit Spaces(Context ctx) : ctx_(std::move(ctx)) {}

  Result<SpaceRow> create(const std::string& who, const std::string& key,
                          const std::string& display_name);
  Result<std::vector<SpaceRow>> list();
  Result<SpaceView> show(const std::string& key);
  // Deletes the space in one transaction: its secrets, origins, enablement,
  // cache and assets (cascade) and every admin token bound to its id
  // (revoked); its pages go to the trash (or away with purge). Audit rows
  // stay, marked with the id, readable by platform admins.
  Result<RemovedSpace> remove(const std::string& who, const std::string& key,
                              const RemoveOptions& options = {});

  // Changing the origin removes the token: it was bound to the old origin
  // and must never be sent to the new one. The caller tells the admin.
  Result<SpaceRow> connect(const std::string& who, const std::string& key,
                           const ConnectRequest& req);
  Result<egress::SpaceOrigins> origins(const std::string& key);

  Status set_token(const std::string& who, const std::string& key,
                   const crypto::SecretString& token);
  Status rotate_token(const std::string& who, const std::string& key,
                      const crypto::SecretString& token);
  Status revoke_token(const std::string& who, const std::string& key);
  Result<TokenStatus> token_status(const std::string& key);

  // For the HTTP capability only: the token of `key`, if `origin` is exactly
  // the space's Grafana origin. not_found otherwise.
  Result<crypto::SecretString> token_for(const std::string& key, const std::string& origin);

  Result<ConnectionTestResult> test_connection(const std::string& who, const std::string& key,
                                               const ConnectionTester& tester);

 private:
  Status store_token(const std::string& who, const std::string& key,
                     const crypto::SecretString& token, const char* action, bool must_exist);
  Context ctx_;
};

}  // namespace vitrine::store
