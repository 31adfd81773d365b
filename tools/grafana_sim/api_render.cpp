// /render/d-solo/:uid/:slug and /render/d/:uid/:slug: real PNGs.
#include <Poco/String.h>

#include "api_handlers.h"
#include "panel_painter.h"

namespace vitrine::sim {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

bool array_has_panel(const Array::Ptr& panels, long long id);

bool object_has_panel(const Object::Ptr& p, long long id) {
  if (p->optValue<Poco::Int64>("id", -1) == id) return true;
  // Collapsed rows keep their children inside the row's own `panels`.
  return array_has_panel(p->getArray("panels"), id);
}

bool array_has_panel(const Array::Ptr& panels, long long id) {
  for (std::size_t i = 0; panels && i < panels->size(); ++i) {
    const auto p = panels->getObject(static_cast<unsigned>(i));
    if (p && object_has_panel(p, id)) return true;
  }
  return false;
}

bool dashboard_has_panel(const Object::Ptr& dash, long long id) {
  if (array_has_panel(dash->getArray("panels"), id)) return true;
  // Pre-schema-16 dashboards keep panels under `rows`.
  return array_has_panel(dash->getArray("rows"), id);
}

Reply png_reply(const RgbImage& image) {
  Reply r;
  r.content_type = "image/png";
  r.body = encode_png(image);
  return r;
}

}  // namespace

Reply renderer_missing_placeholder() {
  PaintRequest p;
  p.kind = PaintKind::kRendererMissing;
  return png_reply(paint(p));
}

Reply handle_render(const ApiRequest& req, const Fixtures& fx, const RenderTarget& target) {
  PaintRequest p;
  struct Dim {
    const char* name;
    int* out;
  };
  for (const Dim d : {Dim{"width", &p.width}, Dim{"height", &p.height}}) {
    const auto raw = req.param(d.name);
    if (!raw) continue;
    const auto v = parse_int(*raw);
    if (!v) {
      return grafana_html_error(
          400, std::string("Render parameters error: cannot parse ") + d.name + " as int");
    }
    if (*v < 1 || *v > kMaxRenderDimension) {
      return grafana_html_error(400, std::string("Render parameters error: ") + d.name +
                                         " must be between 1 and " +
                                         std::to_string(kMaxRenderDimension));
    }
    *d.out = static_cast<int>(*v);
  }
  p.light_theme = Poco::toLower(req.param("theme").value_or("dark")) == "light";
  p.uid = target.uid;
  p.kind = target.solo ? PaintKind::kPanel : PaintKind::kDashboard;
  // Time range and variables change the picture a little, like real data would.
  for (const auto& [k, v] : req.query) {
    if (k == "from" || k == "to" || k == "tz" || k.rfind("var-", 0) == 0)
      p.extra += k + "=" + v + "&";
  }

  const auto entry = fx.find_dashboard(target.uid);
  if (!entry) {
    p.kind = PaintKind::kNotFound;
  } else if (target.solo) {
    const auto raw = req.param("panelId");
    const auto id = raw ? parse_int(*raw) : std::nullopt;
    if (!id || !dashboard_has_panel(entry->getObject("dashboard"), *id)) {
      p.kind = PaintKind::kNotFound;
    } else {
      p.panel_id = *id;
    }
  }
  return png_reply(paint(p));
}

}  // namespace vitrine::sim
