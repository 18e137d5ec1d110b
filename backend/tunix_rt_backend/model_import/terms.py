"""A licence published as a web page, as plain text: the article's headings,
paragraphs and list items, without the site's navigation, scripts or styles."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "li", "br", "div", "tr", "section"}
_HIDDEN = {"script", "style", "noscript", "template", "svg", "button", "nav"}


class _Text(HTMLParser):
    """The text inside the page's article body (devsite-article-body, else <article>,
    else the whole page)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    body = html
    for marker in ('class="devsite-article-body', "<article"):
        start = html.find(marker)
        if start >= 0:
            body = html[html.rfind("<", 0, start) :]
            end = body.find("</article>")
            body = body if end < 0 else body[:end]
            break
    parser = _Text()
    parser.feed(body)
    parser.close()
    lines = [re.sub(r"\s+", " ", line).strip() for line in "".join(parser.parts).split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
