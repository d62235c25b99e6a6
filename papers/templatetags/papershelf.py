from django import template
from django.utils.safestring import SafeString

from papers.markdown import render_markdown

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
