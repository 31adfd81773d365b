#include "reconcile/license_ops.h"

#include <fcntl.h>
#include <unistd.h>

#include "store/audit.h"
#include "store/sqlite/sqlite_backend.h"

namespace vitrine::reconcile {

license::LoadResult install_license(store::Store* store, const std::string& who,
                                    const std::filesystem::path& file,
                                    const std::filesystem::path& data_dir, bool dev_mode,
                                    int64_t now_s) {
  auto r = license::install(file, data_dir, dev_mode, now_s);
  if (!r.ok || store == nullptr) return r;
  // The audited row bumps the change feed the reconciler watches.
  (void)store::run_audited(
      store->context(), store::AuditEvent{who, "", "license.install", r.license.license_id, "", {}},
      [] { return store::ok_status(); });
  return r;
}

license::LoadResult install_license_text(store::Store* store, const std::string& who,
                                         const std::string& text,
                                         const std::filesystem::path& data_dir, bool dev_mode,
                                         int64_t now_s) {
  license::LoadResult refused;
  refused.rule = "license-unreadable";
  if (text.empty() || text.size() > kMaxLicenseBytes) {
    refused.reason = "the license must be a non-empty file of at most " +
                     std::to_string(kMaxLicenseBytes) +
                     " bytes; send the license.json you received";
    return refused;
  }
  std::string tmpl = (data_dir / ".license-upload-XXXXXX").string();
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) {
    refused.reason = "cannot write a temporary file in " + data_dir.string() +
                     "; check that the data directory is writable";
    return refused;
  }
  std::size_t off = 0;
  while (off < text.size()) {
    const ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  ::close(fd);
  license::LoadResult r;
  if (off != text.size()) {
    refused.reason = "writing the uploaded license to " + data_dir.string() + " failed";
    r = refused;
  } else {
    r = install_license(store, who, tmpl, data_dir, dev_mode, now_s);
  }
  std::error_code ec;
  std::filesystem::remove(tmpl, ec);
  return r;
}

int64_t days_left(int64_t expires_s, int64_t now_s) {
  const int64_t diff = expires_s - now_s;
  return diff >= 0 ? diff / 86400 : -((-diff + 86399) / 86400);
}

}  // namespace vitrine::reconcile
