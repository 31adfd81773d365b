#include "export/exporter.h"

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "render/document.h"
#include "render/markdown_limits.h"

namespace vitrine::exporter {
namespace {

namespace fs = std::filesystem;

std::string extension_for(const std::string& content_type) {
  if (content_type == "image/png") return ".png";
  if (content_type == "image/jpeg") return ".jpg";
  if (content_type == "image/svg+xml") return ".svg";
  return ".bin";
}

bool write_file(const fs::path& p, std::string_view data) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  return static_cast<bool>(out);
}

}  // namespace

std::vector<PageReport> export_pages(
    runtime::Runtime& rt, render::Engine& engine, const std::vector<fs::path>& pages,
    const ExportOptions& opt, const std::function<void(size_t, const PageReport&)>& progress) {
  std::vector<PageReport> reports;
  std::error_code ec;
  fs::create_directories(opt.out_dir / "assets", ec);
  write_file(opt.out_dir / "vitrine.css", render::stylesheet());
  // Asset ids are content hashes: the sanitizer only lets this exact form
  // through, so a plain pattern over the sanitized HTML finds them all.
  const std::regex asset_url("/assets/" + opt.space + "/([0-9a-f]{64})");
  for (size_t i = 0; i < pages.size(); ++i) {
    PageReport rep;
    rep.source = pages[i];
    rep.output = opt.out_dir / (pages[i].stem().string() + ".html");
    std::ifstream in(pages[i], std::ios::binary);
    if (!in) {
      rep.failure = "cannot read " + pages[i].string();
      reports.push_back(rep);
      progress(i, rep);
      continue;
    }
    std::stringstream md;
    md << in.rdbuf();
    // A page over a Markdown limit is not exported (no file with only the
    // notice is published): the export fails with the line and the rule.
    if (auto over = render::check_markdown_limits(md.view())) {
      rep.failure = pages[i].string() + ": " + over->message;
      reports.push_back(rep);
      progress(i, rep);
      continue;
    }
    auto rendered = engine.render_page(opt.space, pages[i].stem().string(), md.str(), opt.defaults);
    // Stale content was served while its refresh started in the background.
    // An export has no later view to pick that refresh up, so it waits for
    // it (each within the macro deadline) and renders the page again: the
    // macro is then fresh, or stale with why the refresh failed.
    const bool any_stale = std::any_of(
        rendered->macros.begin(), rendered->macros.end(),
        [](const render::MacroOutcome& m) { return m.state == render::MacroState::stale; });
    if (any_stale) {
      engine.drain();
      rendered = engine.render_page(opt.space, pages[i].stem().string(), md.str(), opt.defaults);
    }
    const render::PageOutcome& page = *rendered;
    rep.macros = page.macros.size();
    for (const auto& m : page.macros) {
      rep.errors += m.state == render::MacroState::error ? 1 : 0;
      rep.stale += m.state == render::MacroState::stale ? 1 : 0;
    }
    std::string body;
    std::set<std::string> written;
    auto begin = std::sregex_iterator(page.body_html.begin(), page.body_html.end(), asset_url);
    size_t last = 0;
    for (auto it = begin; it != std::sregex_iterator(); ++it) {
      const std::string id = (*it)[1];
      std::string file = "assets/" + id;
      auto asset = rt.store().assets().get(opt.space, id);
      if (asset) {
        file += extension_for(asset->content_type);
        if (written.insert(id).second) {
          write_file(opt.out_dir / file, asset->data.view());
          ++rep.assets;
        }
      }
      body.append(page.body_html, last, static_cast<size_t>(it->position()) - last);
      body += file;
      last = static_cast<size_t>(it->position() + it->length());
    }
    body.append(page.body_html, last, std::string::npos);
    if (!write_file(rep.output, render::page_document(page.title, body, "vitrine.css"))) {
      rep.failure = "cannot write " + rep.output.string();
    }
    reports.push_back(rep);
    progress(i, rep);
  }
  return reports;
}

}  // namespace vitrine::exporter
