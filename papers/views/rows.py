"""View models for paper rows: what a row shows, computed once per page.

Rows show the workspace's tags and the reader's own status. Both are
fetched for the whole page in one query each, so a page of 25 rows costs
the same number of queries as a page of 5.
"""

from collections import defaultdict
from collections.abc import Sequence

from django.http import HttpRequest

from papers.models import Paper, ReadingState, Tag, Tagging

STATUSES = ReadingState.Status.choices


SUMMARY_WORDS = 60


def decorate_rows(request: HttpRequest, papers: Sequence[Paper]) -> Sequence[Paper]:
    """Attach what a row shows to each paper, for request.workspace and request.user.

    `row_tags` and `my_status`; `rank`, unless the query gave one; and
    `snippet`, the abstract's first SUMMARY_WORDS words, which a search
    replaces with its best passage (`add_snippets`).
    """
    ids = [paper.pk for paper in papers]
    tags: dict[int, list[Tag]] = defaultdict(list)
    for tagging in (
        Tagging.objects.filter(paper_id__in=ids, tag__in=Tag.objects.for_user(request.user))
        .filter(tag__workspace=request.workspace)
        .select_related("tag")
        .order_by("tag__name")
    ):
        tags[tagging.paper_id].append(tagging.tag)
    states = dict(
        ReadingState.objects.for_user(request.user)
        .filter(paper_id__in=ids)
        .values_list("paper_id", "status")
    )
    for paper in papers:
        paper.row_tags = tags[paper.pk]
        paper.my_status = states.get(paper.pk)
        vars(paper).setdefault("rank", None)
        paper.snippet = summary(paper.abstract)
    return papers


def summary(text: str) -> str:
    words = text.split(maxsplit=SUMMARY_WORDS)
    if len(words) > SUMMARY_WORDS:
        return " ".join(words[:SUMMARY_WORDS]) + " …"
    return " ".join(words)


def row_context(request: HttpRequest, paper: Paper, **extra) -> dict:
    decorate_rows(request, [paper])
    return {"paper": paper, "statuses": STATUSES, **extra}
