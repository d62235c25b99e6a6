"""Notes are user input: render Markdown, then sanitise the HTML.

markdown-it renders with raw HTML turned off, and nh3 then keeps only an
allow-list of tags and attributes, so neither a `<script>`, an `onerror=`
nor a `javascript:` link can reach a page, whatever the Markdown says.
"""

import nh3
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt


def _renderer(*, images: bool) -> MarkdownIt:
    markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    markdown.enable(["table", "strikethrough"])
    if not images:
        # Without the image rule `![alt](url)` stays a plain link to the image.
        markdown.disable("image")
    return markdown


_RENDERERS = {images: _renderer(images=images) for images in (False, True)}

TAGS = {
    "p", "br", "hr", "em", "strong", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}


def render_markdown(text: str) -> SafeString:
    images = settings.NOTES_ALLOW_IMAGES
    tags, attributes = set(TAGS), {name: set(allowed) for name, allowed in ATTRIBUTES.items()}
    if images:
        tags.add("img")
        attributes["img"] = {"src", "alt", "title"}
    html = nh3.clean(
        _RENDERERS[images].render(text),
        tags=tags,
        attributes=attributes,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
    # Safe to mark: nh3 has just removed everything outside the allow-list.
    return mark_safe(html)
