from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils.functional import SimpleLazyObject
from django.utils.html import escape, format_html


def page_path(request: HttpRequest) -> dict:
    """`page_path`: the page the reader is on, where a form's plain post returns (`next`).

    For an htmx request that is the page that sent it, not the request's own
    URL: a row swapped in after setting a status would otherwise send its
    forms back to the status URL, which answers only posts. Escaped here,
    once: a page of rows writes it into every form.
    """
    htmx = getattr(request, "htmx", None)
    return {"page_path": escape((htmx and htmx.current_url_abs_path) or request.get_full_path())}


def csrf_input(request: HttpRequest) -> dict:
    """`csrf_input`: the CSRF token's hidden input, written once a page for its rows' forms.

    `{% csrf_token %}` writes the input anew for each form, 10 µs each: a
    page of 25 paper rows has 50 to 75 forms, a reading list of 50 papers
    150. The rows' forms use this instead; the token is the same.
    """
    return {
        "csrf_input": SimpleLazyObject(
            lambda: format_html(
                '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
            )
        )
    }
