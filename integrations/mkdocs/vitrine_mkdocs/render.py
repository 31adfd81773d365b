"""The two ways to render a page's macro fences: a Vitrine host's render API
(with a token) or the local `vitrine render` command. Both return, per fence,
the sanitized HTML Vitrine made, the images it references and the macro's
state; both raise RenderError naming the page and line when rendering itself
fails."""

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field

_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/svg+xml": ".svg",
               "image/gif": ".gif", "image/webp": ".webp"}


class RenderError(Exception):
    pass


@dataclass
class Rendered:
    html: str
    state: str = "fresh"
    error: str = ""
    rule: str = ""
    images: dict = field(default_factory=dict)  # file name -> bytes


def _asset_pattern(space):
    return re.compile(r"/assets/" + re.escape(space) + r"/([0-9a-f]{64})")


class ApiRenderer:
    """POST /api/v1/spaces/{space}/render, one fence at a time. The fence is
    sent after as many blank lines as precede it in the page, so the line
    numbers of Vitrine's messages are those of the page file."""

    def __init__(self, url, space, token, timeout=60, theme="light", timezone="UTC"):
        self.url = url.rstrip("/")
        self.space = space
        self._token = token
        self.timeout = timeout
        self.theme = theme
        self.timezone = timezone

    def _request(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Authorization", "Bearer " + self._token)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        return urllib.request.urlopen(req, timeout=self.timeout)

    def stylesheet(self):
        with self._request("GET", "/static/vitrine.css") as r:
            return r.read()

    def render(self, where, page_id, fences):
        out = []
        for f in fences:
            body = {"markdown": "\n" * f.start + f.text + "\n", "page_id": page_id,
                    "theme": self.theme, "timezone": self.timezone}
            try:
                with self._request("POST", f"/api/v1/spaces/{self.space}/render", body) as r:
                    answer = json.load(r)
            except urllib.error.HTTPError as e:
                try:
                    err = json.load(e)["error"]
                    detail = f"{err['message']} [{err['code']}]"
                except (ValueError, KeyError, TypeError):
                    detail = f"HTTP {e.code}"
                raise RenderError(f"{where}:{f.line}: {f.key}: the Vitrine host refused the "
                                  f"render: {detail}") from None
            except (urllib.error.URLError, OSError) as e:
                raise RenderError(f"{where}:{f.line}: {f.key}: cannot reach the Vitrine host at "
                                  f"{self.url}: {getattr(e, 'reason', e)}; check `url` and that "
                                  "the host runs") from None
            macro = (answer.get("macros") or [{}])[0]
            rendered = Rendered(answer.get("html", ""), macro.get("state") or "error",
                                macro.get("error") or "", macro.get("rule") or "")
            self._fetch_images(where, f, rendered)
            out.append(rendered)
        return out

    def _fetch_images(self, where, fence, rendered):
        def replace(m):
            asset_id = m.group(1)
            try:
                with self._request("GET", f"/assets/{self.space}/{asset_id}") as r:
                    data = r.read()
                    ext = _EXTENSIONS.get(r.headers.get_content_type(), "")
            except (urllib.error.URLError, OSError) as e:
                raise RenderError(f"{where}:{fence.line}: {fence.key}: cannot fetch the image "
                                  f"{asset_id}: {e}") from None
            name = asset_id + ext
            rendered.images[name] = data
            return name
        rendered.html = _asset_pattern(self.space).sub(lambda m: "@@VITRINE_ASSET@@" + replace(m),
                                                       rendered.html)


class CliRenderer:
    """`vitrine render --config C --space S PAGE.md --out DIR` once per page: the
    page's fences at their own lines, each followed by a split marker, the
    rest of the page blank (so Vitrine's line numbers are the page's)."""

    def __init__(self, vitrine, config, space, timeout=300, theme="light", timezone="UTC"):
        self.vitrine = vitrine
        self.config = config
        self.space = space
        self.timeout = timeout
        self.theme = theme
        self.timezone = timezone
        self._css = None

    def stylesheet(self):
        return self._css or b""

    def render(self, where, page_id, fences):
        lines = []
        for n, f in enumerate(fences):
            while len(lines) < f.start:
                lines.append("")
            lines.extend(f.text.split("\n"))
            lines += ["", f"VITRINE-SPLIT-{n}", ""]
        with tempfile.TemporaryDirectory(prefix="vitrine-mkdocs-") as tmp:
            src = os.path.join(tmp, page_id + ".md")
            with open(src, "w", encoding="utf-8") as fh:
                fh.write("\n".join(lines) + "\n")
            out_dir = os.path.join(tmp, "out")
            cmd = [self.vitrine, "render", "--config", self.config, "--space", self.space,
                   "--theme", self.theme, "--timezone", self.timezone, "--out", out_dir, src]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=self.timeout)
            except (OSError, subprocess.TimeoutExpired) as e:
                raise RenderError(f"{where}:{fences[0].line}: cannot run {self.vitrine}: {e}") from None
            page = os.path.join(out_dir, page_id + ".html")
            if proc.returncode not in (0, 1) or not os.path.exists(page):
                msg = (proc.stderr or proc.stdout).strip().replace(src, where)
                raise RenderError(f"{where}:{fences[0].line}: vitrine render failed "
                                  f"(exit {proc.returncode}): {msg}")
            with open(page, encoding="utf-8") as fh:
                doc = fh.read()
            css = os.path.join(out_dir, "vitrine.css")
            if self._css is None and os.path.exists(css):
                with open(css, "rb") as fh:
                    self._css = fh.read()
            body = doc.split("<body>", 1)[-1].rsplit("</body>", 1)[0]
            out = []
            for n, f in enumerate(fences):
                part, _, body = body.partition(f"<p>VITRINE-SPLIT-{n}</p>")
                rendered = Rendered(part.strip())
                box = re.search(r'class="vitrine-macro vitrine-error"[^>]*>(.*?)</div>', part, re.S)
                if box:
                    rendered.state = "error"
                    rendered.error = html.unescape(re.sub(r"<[^>]+>", "", box.group(1))).strip()

                def take(m, rendered=rendered):
                    name = os.path.basename(m.group(0))
                    with open(os.path.join(out_dir, "assets", name), "rb") as fh:
                        rendered.images[name] = fh.read()
                    return "@@VITRINE_ASSET@@" + name
                rendered.html = re.sub(r"assets/[0-9a-f]{64}(\.[a-z]+)?", take, rendered.html)
                out.append(rendered)
            return out


def which(program):
    return program if os.path.sep in program else shutil.which(program)
