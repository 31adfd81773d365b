#include "store/approvals.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <set>

#include "digest/sha256.h"
#include "store/audit.h"
#include "store/crypto/encoding.h"
#include "store/json_log.h"

namespace vitrine::store {
namespace {

std::string egress_line(const manifest::EgressEntry& e) {
  return "egress " + e.text + (e.customer_managed ? " (customer-managed)" : "");
}

}  // namespace

PermissionSet permissions_of(const manifest::Manifest& m) {
  PermissionSet p;
  std::set<std::string> scopes(m.scopes.begin(), m.scopes.end());
  p.scopes.assign(scopes.begin(), scopes.end());
  p.egress = m.egress;
  for (auto& e : p.egress) e.pos = {};
  std::sort(p.egress.begin(), p.egress.end(),
            [](const auto& a, const auto& b) { return a.text < b.text; });
  return p;
}

std::string canonical_json(const PermissionSet& p) {
  std::string out = "{\"egress\":[";
  for (std::size_t i = 0; i < p.egress.size(); ++i) {
    const auto& e = p.egress[i];
    out += (i ? "," : "");
    out += "{\"customer_managed\":" + std::string(e.customer_managed ? "true" : "false") +
           ",\"host\":" + json_quote(e.host) + ",\"port\":" + std::to_string(e.port) +
           ",\"text\":" + json_quote(e.text) +
           ",\"wildcard\":" + std::string(e.wildcard ? "true" : "false") + "}";
  }
  out += "],\"scopes\":[";
  for (std::size_t i = 0; i < p.scopes.size(); ++i) {
    out += (i ? "," : "") + json_quote(p.scopes[i]);
  }
  return out + "]}";
}

Result<PermissionSet> parse_permissions_json(const std::string& json) {
  try {
    Poco::JSON::Parser parser;
    auto root = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
    PermissionSet p;
    auto scopes = root->getArray("scopes");
    for (std::size_t i = 0; scopes && i < scopes->size(); ++i) {
      p.scopes.push_back(scopes->getElement<std::string>(static_cast<unsigned>(i)));
    }
    auto egress = root->getArray("egress");
    for (std::size_t i = 0; egress && i < egress->size(); ++i) {
      auto o = egress->getObject(static_cast<unsigned>(i));
      manifest::EgressEntry e;
      e.text = o->getValue<std::string>("text");
      e.host = o->getValue<std::string>("host");
      e.port = static_cast<uint16_t>(o->getValue<int>("port"));
      e.wildcard = o->getValue<bool>("wildcard");
      e.customer_managed = o->getValue<bool>("customer_managed");
      p.egress.push_back(e);
    }
    return p;
  } catch (const std::exception& e) {
    return make_error(Errc::io, std::string("a stored plugin approval is unreadable (") + e.what() +
                                    "); approve the plugin again");
  }
}

std::vector<std::string> permission_diff(const PermissionSet& from, const PermissionSet& to) {
  std::set<std::string> a, b;
  for (const auto& s : from.scopes) a.insert("scope " + s);
  for (const auto& e : from.egress) a.insert(egress_line(e));
  for (const auto& s : to.scopes) b.insert("scope " + s);
  for (const auto& e : to.egress) b.insert(egress_line(e));
  std::vector<std::string> out;
  for (const auto& x : a) {
    if (!b.count(x)) out.push_back("- " + x);
  }
  for (const auto& x : b) {
    if (!a.count(x)) out.push_back("+ " + x);
  }
  return out;
}

Result<std::optional<ApprovalRow>> Approvals::latest(const std::string& plugin_id) {
  auto rows = ctx_.db.list_approvals(plugin_id);
  if (!rows) return rows.error();
  // Withdrawn approvals are history, not permission (LC-6).
  for (auto it = rows->rbegin(); it != rows->rend(); ++it) {
    if (it->withdrawn_at_ms == 0) return std::optional<ApprovalRow>{*it};
  }
  return std::optional<ApprovalRow>{};
}

Result<int> Approvals::withdraw(const std::string& who, const std::string& plugin_id,
                                const std::string& reason) {
  if (reason.empty()) {
    return make_error(Errc::invalid,
                      "say why the approval of '" + plugin_id +
                          "' is withdrawn (--reason TEXT): the reason is kept in the audit");
  }
  int withdrawn = 0;
  AuditEvent ev{who, "", "plugin.withdraw", plugin_id, "", {{"withdraw_reason", reason, false}}};
  auto st = run_audited(ctx_, ev, [&]() -> Status {
    auto n = ctx_.db.withdraw_approvals(plugin_id, ctx_.now(), who);
    if (!n) return n.error();
    if (*n == 0) {
      return make_error(Errc::not_found, "plugin '" + plugin_id +
                                             "' has no approval in force; nothing to withdraw "
                                             "(vitrine plugins approvals " +
                                             plugin_id + " lists its history)");
    }
    withdrawn = *n;
    // A rollback pin names a version that can no longer run.
    auto pins = ctx_.db.list_pins();
    if (!pins) return pins.error();
    for (const auto& p : *pins) {
      if (p.plugin_id == plugin_id) return ctx_.db.delete_pin(plugin_id);
    }
    return ok_status();
  });
  if (!st) return st.error();
  if (ctx_.log) {
    ctx_.log->info("plugin.approval_withdrawn",
                   {{"plugin", plugin_id}, {"approvals", std::to_string(withdrawn)}});
  }
  return withdrawn;
}

Result<ApprovalRow> Approvals::approve(const std::string& who, const manifest::Manifest& m) {
  // Not pinned to an artifact yet: a host pins it to the first installed
  // artifact with this id, version and permission set (pin_legacy).
  return approve(who, LoadedArtifact{ArtifactRow{}, m});
}

Result<ApprovalRow> Approvals::approve(const std::string& who, const LoadedArtifact& artifact) {
  const manifest::Manifest& m = artifact.manifest;
  ApprovalRow row;
  row.plugin_id = m.id;
  row.version = m.version;
  row.permissions_json = canonical_json(permissions_of(m));
  row.permissions_hash = digest::sha256_hex(row.permissions_json);
  row.approved_at_ms = ctx_.now();
  row.approved_by = who;
  row.manifest_sha256 = artifact.row.manifest_sha256;
  row.library_sha256 = artifact.row.library_sha256;
  AuditEvent ev{who, "", "plugin.approve", m.id + "@" + m.version, "", {}};
  ev.detail = {{"permissions_hash", row.permissions_hash, false},
               {"permissions", row.permissions_json, false}};
  if (!row.library_sha256.empty()) {
    ev.detail.push_back({"library_sha256", row.library_sha256, false});
    ev.detail.push_back({"manifest_sha256", row.manifest_sha256, false});
    ev.detail.push_back(
        {"signed_by", artifact.row.signer.empty() ? "unsigned" : artifact.row.signer, false});
  }
  auto st = run_audited(ctx_, ev, [&]() -> Status {
    auto id = ctx_.db.insert_approval(row);
    if (!id) return id.error();
    row.id = *id;
    // Approving a version moves forward: a rollback pin to another version
    // of this plugin ends here.
    auto pins = ctx_.db.list_pins();
    if (!pins) return pins.error();
    for (const auto& p : *pins) {
      if (p.plugin_id == m.id && p.version != m.version) return ctx_.db.delete_pin(m.id);
    }
    return ok_status();
  });
  if (!st) return st.error();
  if (ctx_.log) {
    ctx_.log->info(
        "plugin.approved",
        {{"plugin", m.id}, {"version", m.version}, {"permissions_hash", row.permissions_hash}});
  }
  return row;
}

Result<int> Approvals::pin_legacy(const std::vector<LoadedArtifact>& artifacts) {
  auto rows = ctx_.db.list_approvals(std::nullopt);
  if (!rows) return rows.error();
  int pinned = 0;
  for (const auto& ap : *rows) {
    if (!ap.manifest_sha256.empty()) continue;
    for (const auto& a : artifacts) {
      if (a.row.plugin_id != ap.plugin_id || a.row.version != ap.version) continue;
      if (digest::sha256_hex(canonical_json(permissions_of(a.manifest))) != ap.permissions_hash) {
        continue;
      }
      AuditEvent ev{"vitrine",
                    "",
                    "plugin.approval-pinned",
                    ap.plugin_id + "@" + ap.version,
                    "",
                    {{"approval_id", std::to_string(ap.id), true},
                     {"library_sha256", a.row.library_sha256, false},
                     {"manifest_sha256", a.row.manifest_sha256, false}}};
      auto st = run_audited(ctx_, ev, [&] {
        return ctx_.db.pin_approval_artifact(ap.id, a.row.manifest_sha256, a.row.library_sha256);
      });
      if (!st && st.error().code != Errc::not_found) return st.error();
      if (st) ++pinned;
      break;
    }
  }
  return pinned;
}

Result<std::vector<std::string>> Approvals::diff(const manifest::Manifest& m) {
  auto last = latest(m.id);
  if (!last) return last.error();
  PermissionSet from;
  if (last->has_value()) {
    auto parsed = parse_permissions_json((*last)->permissions_json);
    if (!parsed) return parsed.error();
    from = *parsed;
  }
  return permission_diff(from, permissions_of(m));
}

Result<RunDecision> Approvals::decide(const manifest::Manifest& m) {
  auto last = latest(m.id);
  if (!last) return last.error();
  RunDecision d;
  if (!last->has_value()) {
    d.reason = "plugin '" + m.id +
               "' has never been approved; a platform admin runs 'vitrine "
               "plugins approve " +
               m.id + " --plugins-dir DIR --show-diff'";
    auto all = diff(m);
    if (all) d.diff = *all;
    return d;
  }
  d.approval = **last;
  std::string hash = digest::sha256_hex(canonical_json(permissions_of(m)));
  if (hash == d.approval->permissions_hash) {
    d.may_run = true;
    d.reason = "permissions equal the approval of version " + d.approval->version;
    return d;
  }
  auto changes = diff(m);
  if (!changes) return changes.error();
  d.diff = *changes;
  d.reason = "version " + m.version + " of '" + m.id + "' changes its permissions; version " +
             d.approval->version +
             " keeps running on its approval until a platform admin runs 'vitrine plugins "
             "approve " +
             m.id + " --plugins-dir DIR --show-diff'";
  return d;
}

Result<std::vector<ApprovalRow>> Approvals::list(const std::optional<std::string>& plugin_id) {
  return ctx_.db.list_approvals(plugin_id);
}

Result<std::map<std::string, PermissionSet>> Approvals::latest_permissions() {
  auto rows = ctx_.db.list_approvals(std::nullopt);
  if (!rows) return rows.error();
  std::map<std::string, PermissionSet> out;
  for (const auto& r : *rows) {  // oldest first: later rows overwrite
    if (r.withdrawn_at_ms != 0) continue;
    auto p = parse_permissions_json(r.permissions_json);
    if (!p) return p.error();
    out[r.plugin_id] = *p;
  }
  return out;
}

Status Approvals::enable(const std::string& who, const std::string& space,
                         const std::string& plugin_id) {
  AuditEvent ev{who, space, "plugin.enable", plugin_id, "", {}};
  return run_audited(ctx_, ev, [&]() -> Status {
    auto sp = ctx_.db.get_space(space);
    if (!sp) return sp.error();
    auto last = latest(plugin_id);
    if (!last) return last.error();
    if (!last->has_value()) {
      return make_error(Errc::denied, "plugin '" + plugin_id +
                                          "' is not approved; a platform admin must run 'vitrine "
                                          "plugins approve " +
                                          plugin_id + "' first");
    }
    return ctx_.db.set_enabled(EnablementRow{space, plugin_id, ctx_.now(), who});
  });
}

Status Approvals::disable(const std::string& who, const std::string& space,
                          const std::string& plugin_id) {
  AuditEvent ev{who, space, "plugin.disable", plugin_id, "", {}};
  return run_audited(ctx_, ev, [&]() -> Status {
    auto sp = ctx_.db.get_space(space);
    if (!sp) return sp.error();
    return ctx_.db.delete_enabled(space, plugin_id);
  });
}

Result<std::vector<EnablementRow>> Approvals::enabled(const std::string& space) {
  auto sp = ctx_.db.get_space(space);
  if (!sp) return sp.error();
  return ctx_.db.list_enabled(space);
}

}  // namespace vitrine::store
