from django import template
from django.utils.safestring import SafeString

from papers.markdown import render_markdown
from papers.search import filter_word

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    return render_markdown(text)


@register.filter
def status_label(status: str | None) -> str:
    from papers.models import ReadingState

    return ReadingState.Status(status).label if status else "No status"


@register.filter
def get_item(mapping: dict, key: str):
    return mapping.get(key, 0)


@register.filter
def tag_query(name: str) -> str:
    """The search for papers with the tag `name`: `tag:name`, or `tag:"two words"`."""
    return filter_word("tag", name)
