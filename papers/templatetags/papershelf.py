from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

from papers.markdown import render_markdown
from papers.search import filter_word
from papers.views import markup

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


def _row_options(context) -> dict:
    """What a row's forms need of the page: who may edit, where they return, the CSRF input."""
    return {
        "can_edit": context["request"].membership.can_edit,
        "next_path": context["page_path"],
        "csrf_input": conditional_escape(context["csrf_input"]),
        "error": context.get("error") or "",
    }


@register.simple_tag(takes_context=True)
def paper_row(context, paper) -> SafeString:
    """A paper's row (`papers.views.markup.paper_row`); swapped in out of band if `oob` is set."""
    return markup.paper_row(paper, oob=bool(context.get("oob")), **_row_options(context))


@register.simple_tag(takes_context=True)
def paper_meta(context, paper) -> SafeString:
    """A paper's status, tags and tag input (`papers.views.markup.paper_meta`)."""
    return markup.paper_meta(paper, **_row_options(context))


@register.simple_tag(takes_context=True)
def list_item(context, entry) -> SafeString:
    """A reading list's item (`papers.views.markup.list_item`), in a `{% for %}` over the items.

    With `public` set it is the public list's, which no one edits.
    """
    public = bool(context.get("public"))
    can_edit = not public and context["request"].membership.can_edit
    loop = context["forloop"]
    return markup.list_item(
        entry,
        can_edit=can_edit,
        public=public,
        # Only an editor's forms need it: a public page sets no CSRF cookie.
        csrf_input=conditional_escape(context["csrf_input"]) if can_edit else "",
        first=loop["first"],
        last=loop["last"] and not context.get("more"),
    )
