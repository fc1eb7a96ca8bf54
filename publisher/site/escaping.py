"""The one place that decides how a value from a source is written into each kind of output.

Titles, summaries, labels and names come from contributors (by pull request, later by a web editor), so every
value is treated as hostile text. HTML pages get it through autoescaping Jinja environments (ours and the theme's);
the helpers here cover the contexts autoescaping does not: JSON inside `<script>`, RSS fields that readers
interpret as HTML, CDATA sections, and text that Python-Markdown hands over already escaped.
"""

from __future__ import annotations

import html
import json
from typing import Any

from markupsafe import Markup, escape

__all__ = ["Markup", "escape", "script_json", "rss_text", "cdata_safe", "plain_toc"]

# In a <script> element the HTML parser ends the script at `</`; U+2028/2029 end a line in older JavaScript.
_SCRIPT_UNSAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028",
                                "\u2029": "\\u2029"})


def script_json(value: Any) -> Markup:
    """JSON that is safe inside `<script type="application/ld+json">`: no `</script>`, no line separators."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return Markup(text.translate(_SCRIPT_UNSAFE))


def rss_text(value: str) -> str:
    """RSS readers render `<title>` and `<description>` as HTML, so markup characters must arrive escaped.

    The XML writer escapes once more; a reader then decodes the XML and shows `<b>` as the text "<b>".
    """
    return html.escape(value, quote=False)


def cdata_safe(markup: str) -> str:
    """`]]>` ends a CDATA section (feedgen wraps RSS content in one); `&gt;` means the same in HTML."""
    return markup.replace("]]>", "]]&gt;")


def plain_toc(tokens: list[dict]) -> list[dict]:
    """Python-Markdown gives heading names already HTML-escaped; the theme escapes them again, so unescape first."""
    return [{**token, "name": html.unescape(token["name"]), "children": plain_toc(token.get("children", []))}
            for token in tokens]
