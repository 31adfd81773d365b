// Static export for docs-as-code: renders Markdown pages to standalone HTML
// files plus their images, with no server. Asset URLs (/assets/SPACE/ID)
// become relative files under OUT/assets/, so the output can be published
// by any static host.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "render/engine.h"
#include "runtime/runtime.h"

namespace vitrine::exporter {

struct PageReport {
  std::filesystem::path source;
  std::filesystem::path output;
  size_t macros = 0;
  size_t errors = 0;  // macros that rendered an error box
  size_t stale = 0;
  size_t assets = 0;
  std::string failure;  // the page itself could not be read or written
};

struct ExportOptions {
  std::string space;
  std::filesystem::path out_dir;
  render::MacroCall defaults;  // theme, timezone, time range
};

// Renders each page in order; `progress` is called after each page.
std::vector<PageReport> export_pages(
    runtime::Runtime& rt, render::Engine& engine, const std::vector<std::filesystem::path>& pages,
    const ExportOptions& options, const std::function<void(size_t, const PageReport&)>& progress);

}  // namespace vitrine::exporter
