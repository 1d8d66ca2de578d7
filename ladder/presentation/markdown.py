"""Markdown typed by people, rendered to HTML that is safe to put in a page.

Two layers: markdown-it-py renders CommonMark with raw HTML turned off (typed tags come out as
text), then nh3 (the Rust `ammonia` sanitiser) keeps only a small set of tags and attributes,
links with http, https or mailto, and adds rel="noopener noreferrer nofollow". Either layer
alone should be enough; both together mean a bug in one is not an XSS.
"""
from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = frozenset({
    "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "a",
    "table", "thead", "tbody", "tr", "th", "td",
})
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    """Drop protocol-relative links ("//host"), which carry no scheme for nh3 to check, and
    anything with a colon before the path that is not an allowed scheme (e.g. encoded ones)."""
    if tag == "a" and attribute == "href":
        href = value.strip()
        if href.startswith(("//", "\\\\", "/\\", "\\/")):
            return None
        head = href.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
        if ":" in head and head.split(":", 1)[0].lower() not in URL_SCHEMES:
            return None
    return value


_cleaner = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags={"script", "style"},
    attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
    attribute_filter=_attribute_filter,
    url_schemes=set(URL_SCHEMES),
    link_rel=LINK_REL,
    strip_comments=True,
)


def sanitise_html(html: str) -> str:
    """Keep only the allowed tags, attributes and link schemes of an HTML fragment."""
    return _cleaner.clean(html)


def render_markdown(text: str | None) -> Markup:
    """Markdown as typed → sanitised HTML, marked safe for Jinja (the only `safe` user text)."""
    if not text:
        return Markup("")
    # Safe to mark: the HTML comes out of nh3's allow-list sanitiser (see the XSS corpus in tests).
    return Markup(sanitise_html(_markdown.render(text)))  # nosec B704


def render_expectation(text: str | None) -> Markup:
    """An expectation of the ladder: written over several lines it is Markdown (lists,
    paragraphs, examples), rendered like any typed Markdown; a one-line text is shown as the
    plain text it always was (escaped), so ladders written as sentences look as before."""
    if text and "\n" in text:
        return render_markdown(text)
    return Markup.escape(text or "")
