"""Markdown typed by people renders, and every XSS trick in the corpus comes out inert."""
from html.parser import HTMLParser

import pytest
from markupsafe import Markup

from ladder.presentation.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, render_markdown

XSS_CORPUS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](javascript&colon;alert(1))",
    "[click](&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1))",
    "[click](%6A%61%76%61%73%63%72%69%70%74:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](javascript:alert(1))",
    "[ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    '<svg onload=alert(1)><use href="data:image/svg+xml,<svg id=x onload=alert(1)>#x"/></svg>',
    "<svg><script>alert(1)</script></svg>",
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
    '<math href="javascript:alert(1)">click</math>',
    "<iframe src=javascript:alert(1)></iframe>",
    "<object data=javascript:alert(1)></object>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<body onload=alert(1)>",
    '<a href="https://ok.example" onclick="alert(1)">ok</a>',
    "<details open ontoggle=alert(1)>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "<<script>script>alert(1)<</script>/script>",
    "<!--<img src=x onerror=alert(1)>-->",
    '<a href="//evil.example">protocol relative</a>',
    "[x](//evil.example)",
    '<form action="javascript:alert(1)"><button>go</button></form>',
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    '[x](https://ok.example "title\\" onmouseover=\\"alert(1)")',
]


class Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [(tag, name, value or "") for name, value in attrs]


def parse(html: str) -> Collector:
    collector = Collector()
    collector.feed(html)
    return collector


@pytest.mark.parametrize("payload", XSS_CORPUS)
def test_xss_payload_renders_inert(payload):
    html = str(render_markdown(payload))
    found = parse(html)
    assert set(found.tags) <= ALLOWED_TAGS
    for tag, name, value in found.attrs:
        assert not name.startswith("on")
        assert name in ALLOWED_ATTRIBUTES.get(tag, set()) | ({"rel"} if tag == "a" else set())
        if name == "href":
            assert value.split(":", 1)[0].lower() in {"http", "https", "mailto"} or ":" not in value
            assert not value.startswith("//")
        assert "javascript" not in value.lower() and "data:" not in value.lower()
    lowered = html.lower()  # typed tags may appear, but only as escaped text
    for marker in ("<script", "<svg", "<math", "<iframe", "<img", "<style", "<form", "<object"):
        assert marker not in lowered


def test_markdown_renders_what_people_type():
    html = render_markdown("**Strong** work on the [design doc](https://docs.example/ledger).\n\n- one\n- two")
    assert isinstance(html, Markup)
    assert "<strong>Strong</strong>" in html
    assert '<a href="https://docs.example/ledger" rel="noopener noreferrer nofollow">design doc</a>' in html
    assert "<li>one</li>" in html


def test_raw_html_is_shown_as_text_not_dropped():
    assert "&lt;b&gt;bold?&lt;/b&gt;" in render_markdown("<b>bold?</b>")


def test_mailto_links_survive_and_empty_text_is_empty():
    assert 'href="mailto:eli@example.com"' in render_markdown("[mail](mailto:eli@example.com)")
    assert render_markdown("") == "" and render_markdown(None) == ""


def test_expectations_over_several_lines_are_markdown_and_one_liners_stay_plain_text():
    from ladder.presentation.markdown import render_expectation

    assert render_expectation("- leads a review\n- writes <b>it</b>") == (
        "<ul>\n<li>leads a review</li>\n<li>writes &lt;b&gt;it&lt;/b&gt;</li>\n</ul>\n")
    assert render_expectation("Owns *one* service <b>") == "Owns *one* service &lt;b&gt;"
