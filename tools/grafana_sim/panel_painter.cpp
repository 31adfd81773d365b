#include "panel_painter.h"

#include <algorithm>
#include <cstdint>

namespace vitrine::sim {
namespace {

struct Rgb {
  std::uint8_t r, g, b;
};

// FNV-1a: tiny, stable across platforms, good enough to vary pictures.
std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

void fill(RgbImage& img, int x0, int y0, int w, int h, Rgb c) {
  const int x1 = std::min(img.width, x0 + w);
  const int y1 = std::min(img.height, y0 + h);
  for (int y = std::max(0, y0); y < y1; ++y) {
    for (int x = std::max(0, x0); x < x1; ++x) {
      auto* p =
          img.pixels.data() + (static_cast<std::size_t>(y) * static_cast<std::size_t>(img.width) +
                               static_cast<std::size_t>(x)) *
                                  3;
      p[0] = c.r;
      p[1] = c.g;
      p[2] = c.b;
    }
  }
}

Rgb hue(std::uint64_t h, bool light) {
  // Saturated but not garish; darker on light backgrounds for contrast.
  const auto base = static_cast<std::uint8_t>(light ? 40 : 90);
  return Rgb{static_cast<std::uint8_t>(base + (h & 0x7fU)),
             static_cast<std::uint8_t>(base + ((h >> 8) & 0x7fU)),
             static_cast<std::uint8_t>(base + ((h >> 16) & 0x7fU))};
}

RgbImage paint_placeholder() {
  // Grey card with a red diagonal cross: unmistakably not a chart.
  RgbImage img(kPlaceholderWidth, kPlaceholderHeight);
  fill(img, 0, 0, img.width, img.height, Rgb{200, 200, 200});
  for (int x = 0; x < img.width; ++x) {
    const int y = x * img.height / img.width;
    fill(img, x, y - 2, 1, 5, Rgb{200, 30, 30});
    fill(img, x, img.height - 1 - y - 2, 1, 5, Rgb{200, 30, 30});
  }
  return img;
}

}  // namespace

RgbImage paint(const PaintRequest& req) {
  if (req.kind == PaintKind::kRendererMissing) return paint_placeholder();

  RgbImage img(req.width, req.height);
  const Rgb background = req.light_theme ? Rgb{244, 245, 245} : Rgb{17, 18, 23};
  const Rgb grid = req.light_theme ? Rgb{220, 222, 225} : Rgb{40, 42, 50};
  fill(img, 0, 0, img.width, img.height, background);

  if (req.kind == PaintKind::kNotFound) {
    // Grafana shows an error panel; a red band stands for it.
    fill(img, 0, img.height / 3, img.width, std::max(1, img.height / 3), Rgb{196, 22, 42});
    return img;
  }

  const std::string key = req.uid + "#" + std::to_string(req.panel_id);
  const std::uint64_t panel_hash = fnv1a(key);
  const int title_h = std::max(1, std::min(24, img.height / 8));
  fill(img, 0, 0, img.width, title_h, hue(panel_hash >> 24, req.light_theme));

  const int plot_top = title_h + std::max(1, img.height / 20);
  const int plot_h = std::max(1, img.height - plot_top - 2);
  for (int g = 1; g < 4; ++g) fill(img, 0, plot_top + plot_h * g / 4, img.width, 1, grid);

  const int bars = req.kind == PaintKind::kDashboard ? 24 : 12;
  const int slot = std::max(1, img.width / bars);
  const Rgb bar_color = hue(panel_hash, req.light_theme);
  for (int i = 0; i < bars; ++i) {
    const std::uint64_t h = fnv1a(key + "/" + std::to_string(i) + "/" + req.extra);
    const int pct = 10 + static_cast<int>(h % 86);
    const int bar_h = std::max(1, plot_h * pct / 100);
    fill(img, i * slot + slot / 6, plot_top + plot_h - bar_h, std::max(1, slot * 2 / 3), bar_h,
         bar_color);
  }
  return img;
}

}  // namespace vitrine::sim
