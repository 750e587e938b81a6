"""The HTML page: the Jinja2 template (assets/report.html.j2) filled with the facts and tables,
the script and style inlined, the data embedded as JSON.

Every string from a dump (comms, frames, module and memcg names) reaches the page in one of
two ways, both inert:

* as text in the template, which Jinja2 escapes (autoescape on for the whole template);
* inside the JSON of ``<script type="application/json" id="pf-data">``, a block the browser
  never runs, with ``<``, ``>`` and ``&`` written as ``\\u003c``, ``\\u003e``, ``\\u0026``
  (so that no ``</script>`` or ``<!--`` can end or change the block) and every non-ASCII
  character, U+2028/U+2029 included, as a ``\\u`` escape. The script reads it with
  JSON.parse and puts it into the page with ``textContent`` and SVG text nodes only.

A Content-Security-Policy allows the page's own script and style (by their SHA-256) and
nothing else: no network access, no other inline script, no inline event handler.
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
from functools import cache
from importlib import resources
from typing import Any

from ..exceptions import PageOwnerError

__all__ = ["render", "embed_json"]

_JSON_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def embed_json(value: Any) -> str:
    """JSON that is safe inside a ``<script type="application/json">`` block."""
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return text.translate(_JSON_ESCAPES)


def _jinja() -> Any:
    try:
        import jinja2
    except ImportError:
        raise PageOwnerError('the HTML report needs Jinja2: pip install "pageowner-fast[report]"') from None
    return jinja2


@cache
def _asset(name: str) -> str:
    return resources.files(__package__).joinpath("assets").joinpath(name).read_text(encoding="utf-8")


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def _n(v: Any) -> str:
    return "–" if v is None else f"{int(v):,}"


def _signed(v: Any) -> str:
    return "–" if v is None else f"{int(v):+,}"


def _bytes(v: Any) -> str:
    """1536 -> '1.5 KiB' (binary units, 3 significant digits)."""
    if v is None:
        return "–"
    v = int(v)
    sign, a = ("-" if v < 0 else ""), abs(v)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if a < 1024 or unit == "PiB":
            return f"{sign}{a:.0f} {unit}" if unit == "B" else f"{sign}{a:.3g} {unit}"
        a /= 1024
    return f"{v} B"  # pragma: no cover - the loop returns


def _signed_bytes(v: Any) -> str:
    return "–" if v is None else ("+" if int(v) > 0 else "") + _bytes(v)


def _pct(v: Any) -> str:
    if v is None:
        return "–"
    p = 100 * float(v)
    return f"{p:.2f}%" if p >= 0.01 or p == 0 else "<0.01%"


def _ratio(v: Any) -> str:
    return "new" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{v:.3g}x"


def _seconds(ns: Any) -> str:
    return "–" if ns is None else f"{int(ns) / 1e9:,.3f} s"


def render(page: dict[str, Any]) -> str:
    """The HTML text of a report built by `data.build`."""
    jinja2 = _jinja()
    script, style = _asset("report.js"), _asset("report.css")
    if "</script" in script.lower() or "</style" in style.lower():  # pragma: no cover - our own files
        raise AssertionError("an asset would end its own element")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters.update(n=_n, signed=_signed, bytes=_bytes, signed_bytes=_signed_bytes, pct=_pct,
                       ratio=_ratio, seconds=_seconds)
    template = env.from_string(_asset("report.html.j2"))
    csp = (f"default-src 'none'; script-src {_csp_hash(script)}; style-src {_csp_hash(style)}; "
           "img-src data:; base-uri 'none'; form-action 'none'")
    from markupsafe import Markup  # Jinja2's own dependency: text the template keeps as it is
    return str(template.render(page=page, csp=csp, script=Markup(script), style=Markup(style),
                               data_json=Markup(embed_json(page["payload"]))))
