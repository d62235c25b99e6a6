"""Writes for what people add to papers: tags, reading states, notes and highlights.

Every function takes objects the caller already fetched through the
visibility rule; none of them looks anything up by a raw id from a request.
"""

from collections import Counter
from collections.abc import Iterable

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User, Workspace
from papers import anchoring
from papers.importing.vocabulary import words_counted
from papers.models import (
    RELATED_PAPER_VECTORS,
    ListingEntry,
    ListItem,
    Note,
    Paper,
    ReadingList,
    ReadingState,
    Tag,
    Tagging,
    new_token,
)

TAG_MAX_LENGTH = Tag._meta.get_field("name").max_length


class AnnotationError(ValueError):
    """Input a person can fix: shown to them next to where they typed it."""


def clean_tag_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise AnnotationError("A tag needs a name.")
    if len(name) > TAG_MAX_LENGTH:
        raise AnnotationError(f"Tags are at most {TAG_MAX_LENGTH} characters.")
    return name


def tag_get_or_create(*, workspace: Workspace, name: str) -> Tag:
    """The workspace's tag of that name, ignoring case; made when new."""
    name = clean_tag_name(name)
    tag = Tag.objects.filter(workspace=workspace, name__iexact=name).first()
    if tag is not None:
        return tag
    try:
        with transaction.atomic():
            return Tag.objects.create(workspace=workspace, name=name)
    except IntegrityError:
        # Someone made the same tag a moment ago: use theirs.
        return Tag.objects.get(workspace=workspace, name__iexact=name)


@transaction.atomic
def papers_tag(*, workspace: Workspace, papers: Iterable[Paper], name: str, user: User) -> Tag:
    """Tag one paper or many; papers that already carry the tag keep it as it was."""
    tag = tag_get_or_create(workspace=workspace, name=name)
    Tagging.objects.bulk_create(
        [Tagging(tag=tag, paper=paper, added_by=user) for paper in papers],
        ignore_conflicts=True,
    )
    return tag


def paper_untag(*, tag: Tag, paper: Paper) -> None:
    Tagging.objects.filter(tag=tag, paper=paper).delete()


def tag_rename(*, tag: Tag, name: str) -> Tag:
    name = clean_tag_name(name)
    clash = Tag.objects.filter(workspace=tag.workspace, name__iexact=name).exclude(pk=tag.pk)
    if clash.exists():
        raise AnnotationError(f"There is already a tag “{name}”: merge into it instead.")
    tag.name = name
    try:
        with transaction.atomic():
            tag.save(update_fields=["name"])
    except IntegrityError as error:
        raise AnnotationError(f"There is already a tag “{name}”.") from error
    return tag


@transaction.atomic
def tag_merge(*, source: Tag, target: Tag) -> Tag:
    """Move every tagging of `source` onto `target`, then delete `source`."""
    if source.pk == target.pk:
        raise AnnotationError("Choose a different tag to merge into.")
    if source.workspace_id != target.workspace_id:
        raise AnnotationError("Tags of different workspaces cannot be merged.")
    Tagging.objects.bulk_create(
        [
            Tagging(tag=target, paper_id=tagging.paper_id, added_by_id=tagging.added_by_id)
            for tagging in source.taggings.all()
        ],
        ignore_conflicts=True,
    )
    source.delete()
    return target


def tag_delete(*, tag: Tag) -> None:
    tag.delete()


STATUS_CYCLE = [None, *ReadingState.Status]


def reading_state_set(*, user: User, paper: Paper, status: str | None) -> ReadingState | None:
    """Set a person's status on a paper; None clears it."""
    if status is None:
        ReadingState.objects.filter(user=user, paper=paper).delete()
        return None
    state, _ = ReadingState.objects.update_or_create(
        user=user, paper=paper, defaults={"status": status, "changed_at": timezone.now()}
    )
    return state


def next_status(current: str | None) -> str | None:
    """The status after `current` in the cycle none, to read, reading, read, none."""
    position = STATUS_CYCLE.index(current) if current in STATUS_CYCLE else 0
    return STATUS_CYCLE[(position + 1) % len(STATUS_CYCLE)]


NOTE_MAX_LENGTH = 20_000


def _clean_body(body: str) -> str:
    body = body.strip()
    if not body:
        raise AnnotationError("Write something first.")
    if len(body) > NOTE_MAX_LENGTH:
        raise AnnotationError(f"Notes are at most {NOTE_MAX_LENGTH:,} characters.")
    return body


def note_create(
    *,
    workspace: Workspace,
    paper: Paper,
    author: User,
    body: str,
    visibility: str = Note.Visibility.WORKSPACE,
    parent: Note | None = None,
    anchor: anchoring.Anchor | None = None,
    anchor_field: str = "",
) -> Note:
    if parent is not None and (parent.paper_id != paper.pk or parent.workspace_id != workspace.pk):
        raise AnnotationError("A reply belongs under a note of the same paper.")
    note = Note(
        workspace=workspace,
        paper=paper,
        author=author,
        body=_clean_body(body),
        # A reply is as visible as the note it answers, so a private thread stays private.
        visibility=parent.visibility if parent else visibility,
        parent=parent,
    )
    if anchor is not None:
        note.anchor_field = anchor_field
        note.quote, note.prefix, note.suffix = anchor.quote, anchor.prefix, anchor.suffix
        note.start, note.end = anchor.start, anchor.end
    note.save()
    return note


def note_update(*, note: Note, body: str, visibility: str | None = None) -> Note:
    note.body = _clean_body(body)
    fields = ["body", "updated_at"]
    if visibility is not None and note.parent_id is None:
        note.visibility = visibility
        fields.append("visibility")
    note.save(update_fields=fields)
    return note


def note_delete(*, note: Note) -> None:
    note.delete()


def highlights_reanchor(*, paper_ids: Iterable[int]) -> int:
    """Find each highlight of these papers again in their current text.

    Called after an import changed titles or abstracts. Returns how many
    highlights ended up detached.
    """
    notes = list(
        Note.objects.filter(paper_id__in=list(paper_ids))
        .exclude(quote="")
        .select_related("paper")
        .defer(*RELATED_PAPER_VECTORS)
    )
    detached = 0
    for note in notes:
        text = getattr(note.paper, note.anchor_field or Note.Field.ABSTRACT)
        anchor = anchoring.reanchor(
            text, quote=note.quote, prefix=note.prefix, suffix=note.suffix, start=note.start or 0
        )
        if anchor is None:
            note.detached = True
            detached += 1
        else:
            note.detached = False
            note.prefix, note.suffix = anchor.prefix, anchor.suffix
            note.start, note.end = anchor.start, anchor.end
    Note.objects.bulk_update(notes, ["detached", "prefix", "suffix", "start", "end"])
    return detached


def search_terms_add(*, paper_ids: list[int]) -> None:
    """Count the words of newly created papers into the search vocabulary."""
    search_terms_count(_papers_words(paper_ids))


def search_terms_count(counts: Counter[str], *, removed: bool = False) -> None:
    """Add to each word's document count (or take away, when the papers are `removed`).

    One statement for all the words, in word order so that two transactions
    changing the same words lock them in the same order. A word no paper
    uses any more leaves the vocabulary.
    """
    if not counts:
        return
    words, ndocs = zip(*sorted(counts.items()), strict=True)
    with connection.cursor() as cursor:
        if not removed:
            cursor.execute(
                """
                INSERT INTO papers_searchterm (word, ndoc)
                SELECT * FROM unnest(%s::text[], %s::int[])
                ON CONFLICT (word) DO UPDATE SET ndoc = papers_searchterm.ndoc + EXCLUDED.ndoc
                """,
                [list(words), list(ndocs)],
            )
            return
        cursor.execute(
            """
            UPDATE papers_searchterm AS term
            SET ndoc = GREATEST(term.ndoc - gone.ndoc, 0)
            FROM unnest(%s::text[], %s::int[]) AS gone (word, ndoc)
            WHERE term.word = gone.word
            """,
            [list(words), list(ndocs)],
        )
        cursor.execute("DELETE FROM papers_searchterm WHERE ndoc = 0")


def _papers_words(paper_ids: list[int]) -> Counter[str]:
    papers = Paper.objects.filter(pk__in=paper_ids).values_list("title", "abstract")
    return words_counted(papers.iterator(chunk_size=2000))


def _list_slug(workspace: Workspace, title: str, *, exclude: int | None = None) -> str:
    base = slugify(title)[:70] or "list"
    taken = set(
        ReadingList.objects.filter(workspace=workspace, slug__startswith=base)
        .exclude(pk=exclude)
        .values_list("slug", flat=True)
    )
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def _clean_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise AnnotationError("A reading list needs a title.")
    if len(title) > 200:
        raise AnnotationError("Titles are at most 200 characters.")
    return title


def reading_list_create(
    *, workspace: Workspace, title: str, description: str = "", user: User
) -> ReadingList:
    title = _clean_title(title)
    return ReadingList.objects.create(
        workspace=workspace,
        title=title,
        slug=_list_slug(workspace, title),
        description=description.strip(),
        created_by=user,
    )


def reading_list_update(*, reading_list: ReadingList, title: str, description: str) -> ReadingList:
    reading_list.title = _clean_title(title)
    reading_list.slug = _list_slug(
        reading_list.workspace, reading_list.title, exclude=reading_list.pk
    )
    reading_list.description = description.strip()
    reading_list.save()
    return reading_list


def reading_list_delete(*, reading_list: ReadingList) -> None:
    reading_list.delete()


def _locked_items(reading_list: ReadingList) -> list[ListItem]:
    """The list's items in order, with the list row locked.

    Every change of order or membership takes this lock first, so two people
    reordering at once queue up instead of overwriting each other's positions.
    """
    ReadingList.objects.select_for_update().get(pk=reading_list.pk)
    return list(reading_list.items.order_by("position", "pk"))


def _renumber(items: list[ListItem]) -> None:
    for position, item in enumerate(items, start=1):
        item.position = position
    ListItem.objects.bulk_update(items, ["position"])


@transaction.atomic
def list_add_papers(
    *, reading_list: ReadingList, papers: Iterable[Paper], user: User, comment: str = ""
) -> int:
    """Append papers not yet on the list, in the order given; returns how many were added."""
    items = _locked_items(reading_list)
    present = {item.paper_id for item in items}
    new = []
    for paper in papers:
        if paper.pk in present:
            continue
        present.add(paper.pk)
        new.append(
            ListItem(
                reading_list=reading_list,
                paper=paper,
                position=len(items) + len(new) + 1,
                comment=comment.strip(),
                added_by=user,
            )
        )
    ListItem.objects.bulk_create(new)
    if new:
        ReadingList.objects.filter(pk=reading_list.pk).update(updated_at=timezone.now())
    return len(new)


@transaction.atomic
def list_remove_item(*, item: ListItem) -> None:
    items = _locked_items(item.reading_list)
    _renumber([other for other in items if other.pk != item.pk])
    item.delete()


@transaction.atomic
def list_move_item(*, item: ListItem, offset: int) -> None:
    """Move an item up (negative offset) or down the list."""
    items = _locked_items(item.reading_list)
    index = next(i for i, other in enumerate(items) if other.pk == item.pk)
    moved = items.pop(index)
    items.insert(max(0, min(len(items), index + offset)), moved)
    _renumber(items)


@transaction.atomic
def list_reorder(*, reading_list: ReadingList, item_ids: list[int]) -> None:
    """Put the items in the order of `item_ids` (a drag and drop).

    Items missing from `item_ids` (added by someone else meanwhile) keep their
    relative order after the ones given; unknown ids are ignored.
    """
    items = _locked_items(reading_list)
    by_id = {item.pk: item for item in items}
    ordered = [by_id.pop(item_id) for item_id in dict.fromkeys(item_ids) if item_id in by_id]
    _renumber(ordered + [item for item in items if item.pk in by_id])


def list_item_comment(*, item: ListItem, comment: str) -> ListItem:
    comment = comment.strip()
    if len(comment) > NOTE_MAX_LENGTH:
        raise AnnotationError(f"Comments are at most {NOTE_MAX_LENGTH:,} characters.")
    item.comment = comment
    item.save(update_fields=["comment"])
    return item


def list_public_link(*, reading_list: ReadingList, enabled: bool) -> ReadingList:
    """Turn the public link on (a new unguessable token each time) or off."""
    reading_list.public_token = new_token() if enabled else None
    reading_list.save(update_fields=["public_token"])
    return reading_list


def list_feed_rotate(*, reading_list: ReadingList) -> ReadingList:
    reading_list.feed_token = new_token()
    reading_list.save(update_fields=["feed_token"])
    return reading_list


def search_terms_remove(*, paper_ids: list[int]) -> None:
    """Take the words of papers about to be deleted out of the search vocabulary.

    The inverse of `search_terms_add`, counted from the papers' text as it is
    now.
    """
    search_terms_count(_papers_words(paper_ids), removed=True)


# What a merged paper takes from its duplicates when it has none of its own.
MERGE_FILLED_FIELDS = ("arxiv_id", "abstract", "authors", "url", "published")


@transaction.atomic
def papers_merge(*, keep: Paper, duplicates: Iterable[Paper]) -> Paper:
    """Fold duplicate papers into `keep`, then delete them.

    Everything people added to a duplicate moves to `keep`: taggings, notes
    and highlights, list items, reading states, and its places on listings.
    Where both papers have the same one (a tag, a place on one reading list
    or listing, a person's reading state), one is kept: `keep`'s tagging,
    the better rank, the later reading state, the earlier place on a list
    with both comments. `keep` keeps its title and fills its empty fields
    from the duplicates.
    """
    others = [paper for paper in duplicates if paper.pk != keep.pk]
    if not others:
        raise AnnotationError("Choose at least two papers to merge.")
    search_terms_remove(paper_ids=[keep.pk, *(paper.pk for paper in others)])
    for other in others:
        _merge_taggings(keep, other)
        Note.objects.filter(paper=other).update(paper=keep)
        _merge_reading_states(keep, other)
        _merge_list_items(keep, other)
        _merge_listing_entries(keep, other)
    for name in MERGE_FILLED_FIELDS:
        if not getattr(keep, name):
            filled = next((getattr(o, name) for o in others if getattr(o, name)), None)
            setattr(keep, name, filled or getattr(keep, name))
    # The duplicates go before `keep` takes an arXiv id from one: it is unique.
    Paper.objects.filter(pk__in=[paper.pk for paper in others]).delete()
    keep.save()
    search_terms_add(paper_ids=[keep.pk])
    # Highlights made on a duplicate's abstract now anchor in `keep`'s.
    highlights_reanchor(paper_ids=[keep.pk])
    return keep


def _merge_taggings(keep: Paper, other: Paper) -> None:
    Tagging.objects.filter(paper=other).exclude(
        tag__in=Tagging.objects.filter(paper=keep).values("tag")
    ).update(paper=keep)


def _merge_reading_states(keep: Paper, other: Paper) -> None:
    ReadingState.objects.filter(paper=keep).filter(
        Exists(
            ReadingState.objects.filter(
                paper=other, user=OuterRef("user"), changed_at__gt=OuterRef("changed_at")
            )
        )
    ).delete()
    ReadingState.objects.filter(paper=other).exclude(
        user__in=ReadingState.objects.filter(paper=keep).values("user")
    ).update(paper=keep)


def _merge_list_items(keep: Paper, other: Paper) -> None:
    kept = {item.reading_list_id: item for item in ListItem.objects.filter(paper=keep)}
    moved, joined, dropped = [], [], []
    for item in ListItem.objects.filter(paper=other):
        mine = kept.get(item.reading_list_id)
        if mine is None:
            item.paper = keep
            moved.append(item)
            continue
        mine.position = min(mine.position, item.position)
        if item.comment and item.comment not in mine.comment:
            mine.comment = f"{mine.comment}\n\n{item.comment}".strip()
        joined.append(mine)
        dropped.append(item.pk)
    ListItem.objects.filter(pk__in=dropped).delete()
    ListItem.objects.bulk_update(moved, ["paper"])
    ListItem.objects.bulk_update(joined, ["position", "comment"])


def _merge_listing_entries(keep: Paper, other: Paper) -> None:
    kept = {entry.listing_id: entry for entry in ListingEntry.objects.filter(paper=keep)}
    moved, dropped = [], []
    for entry in ListingEntry.objects.filter(paper=other):
        mine = kept.get(entry.listing_id)
        if mine is not None and mine.rank <= entry.rank:
            dropped.append(entry.pk)
            continue
        if mine is not None:
            dropped.append(mine.pk)
        entry.paper = keep
        moved.append(entry)
    # Dropped first: (listing, paper) is unique at every statement.
    ListingEntry.objects.filter(pk__in=dropped).delete()
    ListingEntry.objects.bulk_update(moved, ["paper"])
