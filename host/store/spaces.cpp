#include "store/spaces.h"

#include "egress/url.h"
#include "store/approvals.h"
#include "store/audit.h"
#include "store/crypto/encoding.h"
#include "store/crypto/secret_box.h"
#include "store/glsa.h"
#include "store/json_log.h"

namespace vitrine::store {
namespace {

crypto::Binding token_binding(const std::string& space, const std::string& origin) {
  return crypto::Binding{"secret", space, kGrafanaTokenRecord, origin};
}

// 128 random bits as 32 hex chars: never reused, so a space created again
// with a deleted space's key is a different space to tokens and audit.
Result<std::string> new_space_id() {
  uint8_t bytes[16];
  if (!crypto::random_bytes(bytes)) {
    return make_error(Errc::crypto, "the system random generator failed; try again");
  }
  return crypto::hex_encode(bytes);
}

}  // namespace

Result<SpaceRow> Spaces::create(const std::string& who, const std::string& key,
                                const std::string& display_name) {
  SpaceRow row;
  row.key = key;
  row.display_name = display_name.empty() ? key : display_name;
  row.created_at_ms = ctx_.now();
  row.created_by = who;
  auto id = new_space_id();
  if (!id) return id.error();
  row.id = *id;
  // The audit row looks the id up inside the transaction: the new space's
  // when it was created, the existing one's when the key is taken.
  auto st = run_audited(ctx_, AuditEvent{who, key, "space.create", key, "", {}}, [&]() -> Status {
    if (auto c = check_space_key(key); !c) return c;
    if (display_name.size() > 200) {
      return make_error(Errc::invalid, "display name is longer than 200 characters; shorten it");
    }
    return ctx_.db.insert_space(row);
  });
  if (!st) return st.error();
  if (ctx_.log) ctx_.log->info("space.created", {{"space", key}, {"id", row.id}, {"by", who}});
  return row;
}

Result<std::vector<SpaceRow>> Spaces::list() { return ctx_.db.list_spaces(); }

Result<SpaceView> Spaces::show(const std::string& key) {
  SpaceView v;
  auto sp = ctx_.db.get_space(key);
  if (!sp) return sp.error();
  v.space = *sp;
  auto co = ctx_.db.list_customer_origins(key);
  if (!co) return co.error();
  v.customer_origins = *co;
  auto ts = token_status(key);
  if (!ts) return ts.error();
  v.token = *ts;
  auto en = ctx_.db.list_enabled(key);
  if (!en) return en.error();
  v.enabled_plugins = *en;
  return v;
}

Result<RemovedSpace> Spaces::remove(const std::string& who, const std::string& key,
                                    const RemoveOptions& options) {
  RemovedSpace out;
  // The audit row is written after the delete, so it cannot look the id up:
  // read the space and its tokens first, and check inside the transaction
  // that nothing changed in between.
  auto before = ctx_.db.get_space(key);
  if (before) {
    out.id = before->id;
    auto tokens = ctx_.db.list_admin_tokens();
    if (!tokens) return tokens.error();
    for (const auto& t : *tokens) {
      if (t.space_id == out.id && t.revoked_at_ms == 0) out.tokens.push_back(t.id);
    }
  }
  std::string token_list;
  for (const auto& t : out.tokens) token_list += (token_list.empty() ? "" : " ") + t;
  AuditEvent ev{who, key, "space.delete", key, "", {}};
  ev.space_id = out.id;
  ev.detail = {{"tokens_revoked", token_list, false},
               {"pages",
                !options.files  ? "none"
                : options.purge ? "purge"
                                : "trash",
                false}};
  const int64_t at = ctx_.now();
  auto st = run_audited(ctx_, ev, [&]() -> Status {
    auto sp = ctx_.db.get_space(key);
    if (!sp) return sp.error();
    if (sp->id != out.id) {
      return make_error(Errc::conflict,
                        "space '" + key + "' changed during the deletion; run it again");
    }
    auto revoked = ctx_.db.revoke_admin_tokens_of_space(out.id, at);
    if (!revoked) return revoked.error();
    if (*revoked != static_cast<int64_t>(out.tokens.size())) {
      return make_error(Errc::conflict, "admin tokens of space '" + key +
                                            "' changed during the deletion; run it again");
    }
    if (auto del = ctx_.db.delete_space(key); !del) return del;
    // Last, so that a failure before it leaves the pages in place.
    if (options.files) {
      auto moved = move_pages_to_trash(*options.files, key, out.id, at);
      if (!moved) return moved.error();
      out.trashed = *moved;
    }
    return ok_status();
  });
  if (!st) {
    // The audit row or the commit failed after the pages moved: the space
    // still exists, so its pages go back.
    if (options.files && !out.trashed.empty()) {
      (void)move_pages_back(*options.files, key, out.trashed);
    }
    return st.error();
  }
  if (options.purge && !out.trashed.empty()) {
    if (auto p = purge_trashed(out.trashed); !p) {
      out.warning = p.error().message;
    } else {
      out.trashed.clear();
      out.purged = true;
    }
  }
  if (ctx_.log) {
    ctx_.log->info("space.deleted", {{"space", key},
                                     {"id", out.id},
                                     {"by", who},
                                     {"tokens_revoked", std::to_string(out.tokens.size())},
                                     {"pages", out.purged            ? "purged"
                                               : out.trashed.empty() ? "none"
                                                                     : out.trashed.string()}});
  }
  return out;
}

Result<SpaceRow> Spaces::connect(const std::string& who, const std::string& key,
                                 const ConnectRequest& req) {
  AuditEvent ev{who, key, "space.connect", req.origin, "", {}};
  ev.detail = {{"customer_managed", req.customer_managed ? "true" : "false", true},
               {"allow_private", req.allow_private ? "true" : "false", true}};
  if (req.customer_managed) {
    ev.detail.push_back({"plugin", req.plugin_id, false});
    ev.detail.push_back({"entry", req.entry, false});
  }
  SpaceRow result;
  bool token_removed = false;
  auto st = run_audited(ctx_, ev, [&]() -> Status {
    auto sp = ctx_.db.get_space(key);
    if (!sp) return sp.error();
    auto parsed = egress::parse_origin(req.origin);
    if (!parsed.ok) {
      return make_error(Errc::invalid, "origin '" + req.origin + "' is not usable: " +
                                           parsed.reason + " [" + parsed.rule + "]");
    }
    const std::string origin = parsed.url.origin();
    Approvals approvals(ctx_);
    auto perms = approvals.latest_permissions();
    if (!perms) return perms.error();
    if (req.customer_managed) {
      if (req.plugin_id.empty() || req.entry.empty()) {
        return make_error(Errc::invalid,
                          "--customer-managed needs --plugin ID and --entry TEXT: the approved "
                          "plugin's customer-managed egress entry the origin is bound to");
      }
      auto it = perms->find(req.plugin_id);
      if (it == perms->end()) {
        return make_error(Errc::denied, "plugin '" + req.plugin_id +
                                            "' is not approved; approve it first with 'vitrine "
                                            "plugins approve " +
                                            req.plugin_id + "'");
      }
      const manifest::EgressEntry* entry = nullptr;
      for (const auto& e : it->second.egress) {
        if (e.text == req.entry) entry = &e;
      }
      if (entry == nullptr || !entry->customer_managed) {
        return make_error(Errc::denied, "plugin '" + req.plugin_id +
                                            "' has no approved egress "
                                            "entry '" +
                                            req.entry +
                                            "' marked customer-managed; "
                                            "check 'vitrine plugins list' for its entries");
      }
      auto co = ctx_.db.upsert_customer_origin(CustomerOriginRow{
          key, origin, req.plugin_id, req.entry, req.allow_private, ctx_.now(), who});
      if (!co) return co;
    } else {
      bool matched = false;
      for (const auto& [plugin, p] : *perms) {
        for (const auto& e : p.egress) {
          if (egress::entry_matches(e, parsed.url.host, parsed.url.port)) matched = true;
        }
      }
      if (!matched) {
        return make_error(
            Errc::denied,
            "origin " + origin +
                " matches no egress entry of an approved plugin (the bundled "
                "plugins allow https://*.grafana.net). For a self-hosted Grafana a platform admin "
                "binds a plugin's customer-managed entry: --customer-managed --plugin ID --entry "
                "TEXT" +
                std::string(req.allow_private ? ""
                                              : " (add --allow-private for a private "
                                                "network address)"));
      }
      if (req.allow_private) {
        return make_error(Errc::invalid,
                          "--allow-private is only accepted with --customer-managed: private "
                          "network access is approved for a self-hosted Grafana origin");
      }
    }
    auto existing = ctx_.db.get_secret(key, kGrafanaTokenRecord);
    if (existing && existing->origin != origin) {
      auto del = ctx_.db.delete_secret(key, kGrafanaTokenRecord);
      if (!del) return del;
      token_removed = true;
    }
    auto upd = ctx_.db.set_space_origin(key, origin, req.allow_private, ctx_.now(), who);
    if (!upd) return upd;
    auto row = ctx_.db.get_space(key);
    if (!row) return row.error();
    result = *row;
    return ok_status();
  });
  if (!st) return st.error();
  if (token_removed) {
    (void)ctx_.audit.record(AuditEvent{who,
                                       key,
                                       "token.revoke",
                                       kGrafanaTokenRecord,
                                       "ok",
                                       {{"reason", "origin changed", false}}});
  }
  if (ctx_.log) {
    ctx_.log->info("space.connected", {{"space", key},
                                       {"origin", result.grafana_origin},
                                       {"by", who},
                                       {"token_removed", token_removed ? "1" : "0"}});
  }
  return result;
}

Result<egress::SpaceOrigins> Spaces::origins(const std::string& key) {
  auto sp = ctx_.db.get_space(key);
  if (!sp) return sp.error();
  egress::SpaceOrigins o;
  o.grafana_origin = sp->grafana_origin;
  o.grafana_allow_private = sp->grafana_allow_private;
  auto co = ctx_.db.list_customer_origins(key);
  if (!co) return co.error();
  for (const auto& c : *co) {
    o.customer_managed.push_back(
        egress::CustomerOrigin{c.origin, c.plugin_id, c.entry, c.allow_private});
  }
  return o;
}

Status Spaces::store_token(const std::string& who, const std::string& key,
                           const crypto::SecretString& token, const char* action, bool must_exist) {
  AuditEvent ev{who, key, action, kGrafanaTokenRecord, "", {}};
  auto st = run_audited(ctx_, ev, [&]() -> Status {
    auto ring = ctx_.keyring();
    if (!ring) return ring.error();
    auto sp = ctx_.db.get_space(key);
    if (!sp) return sp.error();
    if (sp->grafana_origin.empty()) {
      return make_error(Errc::invalid, "space '" + key +
                                           "' is not connected to a Grafana "
                                           "origin; run 'vitrine spaces connect " +
                                           key + " --origin URL' first (the token is bound to it)");
    }
    if (must_exist) {
      auto existing = ctx_.db.get_secret(key, kGrafanaTokenRecord);
      if (!existing) {
        return make_error(Errc::not_found, "space '" + key +
                                               "' has no token to rotate; use "
                                               "'vitrine spaces token set' for the first one");
      }
    }
    if (auto shape = check_glsa_token(token.view()); !shape) return shape;
    auto record = crypto::seal(**ring, token_binding(key, sp->grafana_origin), token.view());
    if (!record) return record.error();
    return ctx_.db.put_secret(
        SecretRow{key, kGrafanaTokenRecord, sp->grafana_origin, *record, ctx_.now(), who});
  });
  if (st && ctx_.log) ctx_.log->info(action, {{"space", key}, {"by", who}});
  return st;
}

Status Spaces::set_token(const std::string& who, const std::string& key,
                         const crypto::SecretString& token) {
  return store_token(who, key, token, "token.set", false);
}

Status Spaces::rotate_token(const std::string& who, const std::string& key,
                            const crypto::SecretString& token) {
  return store_token(who, key, token, "token.rotate", true);
}

Status Spaces::revoke_token(const std::string& who, const std::string& key) {
  auto st = run_audited(ctx_, AuditEvent{who, key, "token.revoke", kGrafanaTokenRecord, "", {}},
                        [&]() -> Status {
                          auto sp = ctx_.db.get_space(key);
                          if (!sp) return sp.error();
                          return ctx_.db.delete_secret(key, kGrafanaTokenRecord);
                        });
  if (st && ctx_.log) ctx_.log->info("token.revoked", {{"space", key}, {"by", who}});
  return st;
}

Result<TokenStatus> Spaces::token_status(const std::string& key) {
  auto sp = ctx_.db.get_space(key);
  if (!sp) return sp.error();
  TokenStatus s;
  auto row = ctx_.db.get_secret(key, kGrafanaTokenRecord);
  if (!row) {
    if (row.error().code == Errc::not_found) return s;
    return row.error();
  }
  s.configured = true;
  s.set_at_ms = row->set_at_ms;
  s.set_by = row->set_by;
  s.origin = row->origin;
  s.key_id = crypto::record_key_id(row->record);
  return s;
}

Result<crypto::SecretString> Spaces::token_for(const std::string& key, const std::string& origin) {
  auto sp = ctx_.db.get_space(key);
  if (!sp) return sp.error();
  if (sp->grafana_origin.empty() || sp->grafana_origin != origin) {
    return make_error(Errc::not_found, "no token of space '" + key + "' for " + origin);
  }
  auto row = ctx_.db.get_secret(key, kGrafanaTokenRecord);
  if (!row) return row.error();
  auto ring = ctx_.keyring_for(row->record);
  if (!ring) return ring.error();
  // The AAD uses the space's current origin: a record bound to another
  // origin fails here even if a row was tampered with.
  auto plain = crypto::open(**ring, token_binding(key, sp->grafana_origin), row->record);
  if (!plain) return plain.error();
  return crypto::SecretString(std::string(plain->view()));
}

Result<ConnectionTestResult> Spaces::test_connection(const std::string& who, const std::string& key,
                                                     const ConnectionTester& tester) {
  auto o = origins(key);
  if (!o) return o.error();
  if (o->grafana_origin.empty()) {
    return make_error(Errc::invalid, "space '" + key +
                                         "' is not connected; run 'vitrine spaces "
                                         "connect " +
                                         key + " --origin URL' first");
  }
  ConnectionTestResult r = tester(key, *o);
  (void)ctx_.audit.record(AuditEvent{
      who,
      key,
      "space.test-connection",
      o->grafana_origin,
      r.ok ? "ok" : "error",
      {{"http_status", std::to_string(r.http_status), true}, {"message", r.message, false}}});
  return r;
}

}  // namespace vitrine::store
