#include "license/gate.h"

#include "license/verifier.h"

namespace vitrine::license {

void LicenseGate::install(std::optional<License> license, std::string load_error) {
  std::lock_guard lock(mu_);
  license_ = std::move(license);
  load_error_ = std::move(load_error);
}

void LicenseGate::set_observer(Observer observer) {
  std::lock_guard lock(mu_);
  observer_ = std::move(observer);
}

std::optional<License> LicenseGate::current() const {
  std::lock_guard lock(mu_);
  return license_;
}

GateDecision LicenseGate::check(const std::string& space, const std::string& feature, int64_t now,
                                const std::string& plugin) const {
  GateDecision d{space, feature, false, {}, plugin};
  Observer observer;
  {
    std::lock_guard lock(mu_);
    observer = observer_;
    if (!license_) {
      d.reason = load_error_.empty() ? "no license is installed; feature '" + feature +
                                           "' needs one (vitrine license install FILE)"
                                     : "the configured license was refused: " + load_error_;
    } else if (now >= license_->expires) {
      // A long-running host must stop granting at expiry, not at restart.
      d.reason =
          "license " + license_->license_id + " expired at " + format_rfc3339(license_->expires);
    } else if (!license_->has_feature(feature)) {
      d.reason = "license " + license_->license_id + " does not include feature '" + feature + "'";
    } else {
      d.licensed = true;
      d.reason = "licensed by " + license_->license_id + " (" + license_->licensee + ")";
    }
  }
  if (observer) observer(d);
  return d;
}

}  // namespace vitrine::license
