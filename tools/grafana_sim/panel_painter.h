// Draws the stand-in for a rendered Grafana panel or dashboard.
#pragma once

#include <string>

#include "png_encoder.h"

namespace vitrine::sim {

enum class PaintKind {
  kPanel,            // /render/d-solo of a known panel
  kDashboard,        // /render/d of a known dashboard
  kNotFound,         // unknown dashboard or panel: Grafana renders an error page
  kRendererMissing,  // "image renderer not installed" placeholder
};

struct PaintRequest {
  PaintKind kind = PaintKind::kPanel;
  std::string uid;
  long long panel_id = 0;
  bool light_theme = false;
  std::string extra;  // time range and variables; shifts the bars slightly
  int width = 800;
  int height = 400;
};

// Size of the placeholder image. Fixed, like Grafana's bundled
// rendering_plugin_not_installed.png, which ignores the requested size.
inline constexpr int kPlaceholderWidth = 500;
inline constexpr int kPlaceholderHeight = 250;

RgbImage paint(const PaintRequest& request);

}  // namespace vitrine::sim
