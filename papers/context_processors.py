from django.http import HttpRequest


def page_path(request: HttpRequest) -> dict:
    """`page_path`: the page the reader is on, where a form's plain post returns (`next`).

    For an htmx request that is the page that sent it, not the request's own
    URL: a row swapped in after setting a status would otherwise send its
    forms back to the status URL, which answers only posts.
    """
    htmx = getattr(request, "htmx", None)
    return {"page_path": (htmx and htmx.current_url_abs_path) or request.get_full_path()}
