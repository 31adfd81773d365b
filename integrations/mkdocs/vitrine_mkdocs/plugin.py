"""The `vitrine` MkDocs plugin: renders the Vitrine macro fences of every page
at build time, through a Vitrine host's render API (mode: api) or the local
`vitrine render` command (mode: cli), and writes the images the macros
reference beside the pages. See integrations/mkdocs/README.md."""

import logging
import os

from mkdocs.config import config_options as opt
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin

from .fences import find_fences
from .render import ApiRenderer, CliRenderer, RenderError, which

log = logging.getLogger("mkdocs.plugins.vitrine")

BUNDLED_MACROS = ["dashboard", "dashboard-library", "alert-list", "alert-badge", "annotation-timeline",
                  "panel-image"]
_PLACEHOLDER = "VITRINEMACROPLACEHOLDER{}X"


class VitrinePlugin(BasePlugin):
    config_scheme = (
        ("mode", opt.Choice(("api", "cli"), default="api")),
        ("space", opt.Type(str, default="")),
        # mode: api
        ("url", opt.Type(str, default="")),
        ("token_env", opt.Type(str, default="VITRINE_TOKEN")),
        ("token_file", opt.Type(str, default="")),
        # mode: cli
        ("vitrine", opt.Type(str, default="vitrine")),
        ("config", opt.Type(str, default="")),
        # both
        ("macros", opt.Type(list, default=BUNDLED_MACROS)),
        ("theme", opt.Choice(("light", "dark"), default="light")),
        ("timezone", opt.Type(str, default="UTC")),
        ("assets_dir", opt.Type(str, default="vitrine-assets")),
        ("fail_on_error", opt.Type(bool, default=False)),
        ("timeout", opt.Type(int, default=60)),
    )

    def __init__(self):
        self.renderer = None
        self.pending = {}  # page src path -> [Rendered]
        self.errors = []

    def _token(self):
        if self.config["token_file"]:
            path = self.config["token_file"]
            try:
                with open(path, encoding="utf-8") as fh:
                    token = fh.read().strip()
            except OSError as e:
                raise PluginError(f"vitrine: cannot read token_file {path}: {e.strerror}") from None
        else:
            token = os.environ.get(self.config["token_env"], "").strip()
        if not token:
            raise PluginError(
                f"vitrine: no token: set the environment variable {self.config['token_env']} "
                "(or `token_file`) to a Vitrine API token with a viewer role of the space; "
                "never write the token into mkdocs.yml")
        return token

    def on_config(self, config):
        c = self.config
        if not c["space"]:
            raise PluginError("vitrine: set `space` to the Vitrine space whose Grafana and "
                              "plugins render the macros")
        if c["mode"] == "api":
            if not c["url"].startswith(("https://", "http://")):
                raise PluginError("vitrine: mode api needs `url`, the Vitrine host "
                                  "(https://vitrine.example.com)")
            self.renderer = ApiRenderer(c["url"], c["space"], self._token(), c["timeout"],
                                        c["theme"], c["timezone"])
        else:
            binary = which(c["vitrine"])
            if not binary or not os.access(binary, os.X_OK):
                raise PluginError(f"vitrine: mode cli cannot find the vitrine command "
                                  f"'{c['vitrine']}'; set `vitrine` to its path")
            if not c["config"]:
                raise PluginError("vitrine: mode cli needs `config`, the path of vitrine.yml")
            cfg = c["config"]
            if not os.path.isabs(cfg):
                cfg = os.path.join(os.path.dirname(config["config_file_path"]), cfg)
            self.renderer = CliRenderer(binary, cfg, c["space"], max(c["timeout"], 300),
                                        c["theme"], c["timezone"])
        config["extra_css"].append(c["assets_dir"] + "/vitrine.css")
        self.errors = []
        return config

    def on_page_markdown(self, markdown, page, config, files):
        fences = find_fences(markdown, set(self.config["macros"]))
        if not fences:
            return markdown
        where = os.path.join(os.path.basename(config["docs_dir"]), page.file.src_path)
        page_id = "".join(ch if ch.isalnum() else "-" for ch in page.file.src_path.lower())
        page_id = page_id.strip("-")[:64] or "page"
        try:
            rendered = self.renderer.render(where, page_id, fences)
        except RenderError as e:
            raise PluginError(str(e)) from None
        lines = markdown.split("\n")
        for n, (f, r) in reversed(list(enumerate(zip(fences, rendered)))):
            if r.state == "error":
                what = r.error if r.error.startswith(f.key + ":") else f"{f.key}: {r.error}"
                msg = f"{where}:{f.line}: {what}" + (f" [{r.rule}]" if r.rule else "")
                self.errors.append(msg)
                log.warning(msg)
            lines[f.start:f.end + 1] = ["", _PLACEHOLDER.format(n), ""]
        self.pending[page.file.src_path] = rendered
        return "\n".join(lines)

    def on_page_content(self, html, page, config, files):
        rendered = self.pending.pop(page.file.src_path, None)
        if not rendered:
            return html
        out_dir = os.path.join(os.path.dirname(page.file.abs_dest_path), self.config["assets_dir"])
        for n, r in enumerate(rendered):
            for name, data in r.images.items():
                os.makedirs(out_dir, exist_ok=True)
                with open(os.path.join(out_dir, name), "wb") as fh:
                    fh.write(data)
            fragment = r.html.replace("@@VITRINE_ASSET@@", self.config["assets_dir"] + "/")
            fragment = f'<div class="vitrine-mkdocs">{fragment}</div>'
            marker = _PLACEHOLDER.format(n)
            if f"<p>{marker}</p>" in html:
                html = html.replace(f"<p>{marker}</p>", fragment)
            else:
                html = html.replace(marker, fragment)
        return html

    def on_post_build(self, config):
        css_dir = os.path.join(config["site_dir"], self.config["assets_dir"])
        os.makedirs(css_dir, exist_ok=True)
        try:
            css = self.renderer.stylesheet()
        except Exception as e:  # the stylesheet is cosmetic; say so and go on
            log.warning(f"vitrine: cannot fetch the stylesheet: {e}")
            css = b""
        with open(os.path.join(css_dir, "vitrine.css"), "wb") as fh:
            fh.write(css)
        if self.errors and self.config["fail_on_error"]:
            raise PluginError("vitrine: macros rendered errors (fail_on_error: true):\n  " +
                              "\n  ".join(self.errors))
