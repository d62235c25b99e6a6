import secrets

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower, Mod
from django.db.models.lookups import Exact
from django.urls import reverse
from django.utils import timezone

from accounts.models import Workspace

# The same vectors behind select_related("paper") from another model, where
# the manager's deferral does not reach.
RELATED_PAPER_VECTORS = ("paper__search_vector", "paper__title_vector")


# One paper in SEARCH_SAMPLE_EVERY, by id: those in the search index's sample.
# The planner's statistics on the expression are made by migration 0011; a
# new share needs a migration that makes them again beside the new index.
SEARCH_SAMPLE_EVERY = 10
IN_SEARCH_SAMPLE = Q(Exact(Mod("id", SEARCH_SAMPLE_EVERY), 0))


class PaperManager(models.Manager):
    """Papers without their stored tsvectors.

    The vectors are for the database's search and never read in Python, and
    the abstract's weighs more than the abstract: fetching them with every
    row of a page made each page load and parse them all.
    """

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().defer("search_vector", "title_vector")


class Paper(models.Model):
    """One work, whatever listing brought it: global, shared by every workspace.

    Identity is the arXiv id when known; otherwise the normalised title key
    (indexed, not unique: two arXiv papers can share a title).
    """

    # Unique, and indexed (both by constraints below, which unlike
    # `unique=True` and `db_index=True` add no second index for `LIKE`
    # patterns: nothing matches ids or title keys by pattern, and the import
    # built each of those indexes again for nothing). Null, not empty, for
    # a paper without one: the constraint holds many nulls, not two "".
    arxiv_id = models.CharField(max_length=32, null=True, blank=True)  # noqa: DJ001
    title = models.TextField()
    title_key = models.TextField()
    abstract = models.TextField()
    authors = models.JSONField(default=list, blank=True)
    url = models.URLField(max_length=500, blank=True)
    # Indexed: `year:` finds a year's papers without reading every paper.
    published = models.DateField(null=True, blank=True, db_index=True)
    # The date of the newest listing the paper is in, kept by the import service
    # so that "newest first" is an index scan rather than a join per paper
    # (`paper_newest`, which serves any other query of the date as well).
    last_listed = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Indexed: a re-import asks whether any paper changed since a time.
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    search_vector = models.GeneratedField(
        expression=SearchVector("title", weight="A", config="english")
        + SearchVector("abstract", weight="B", config="english"),
        output_field=SearchVectorField(),
        db_persist=True,
    )
    # The title alone, indexed: a search for common words ranks only a few
    # thousand candidates, and the papers whose titles match must be among them.
    title_vector = models.GeneratedField(
        expression=SearchVector("title", config="english"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = PaperManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["arxiv_id"], name="papers_paper_arxiv_id_key"),
        ]
        indexes = [
            models.Index(fields=["title_key"], name="paper_title_key"),
            GinIndex(fields=["search_vector"], name="paper_search_vector"),
            GinIndex(fields=["title_vector"], name="paper_title_vector"),
            # The vectors of one paper in SEARCH_SAMPLE_EVERY again, on their own:
            # where the whole index lists tens of thousands of papers, this one
            # finds a search's first few hundred matches (papers.search).
            GinIndex(
                fields=["search_vector"], name="paper_vector_sample", condition=IN_SEARCH_SAMPLE
            ),
            # "Newest first", the order of every browse without a text query:
            # read from the index, a filter that most papers pass (year:2025)
            # stops after a page instead of sorting all of them.
            models.Index(
                F("last_listed").desc(nulls_last=True), F("id").desc(), name="paper_newest"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def url_in(self, workspace) -> str:
        return reverse("paper", args=[workspace.slug, self.pk])


class ListingQuerySet(models.QuerySet):
    def latest_first(self) -> "ListingQuerySet":
        return self.order_by("-date", "-imported_at", "-pk")


class Listing(models.Model):
    """One import of one source: where it came from, when, and what it did."""

    class Format(models.TextChoices):
        TRENDING = "trending", "Trending-papers page (text)"
        JSONL = "jsonl", "JSON Lines"
        JSON = "json", "JSON array"
        CSV = "csv", "CSV with a header line"
        BIBTEX = "bibtex", "BibTeX"
        PAPERSHELF = "papershelf", "Papershelf export (JSON)"

    name = models.CharField(max_length=200)
    date = models.DateField(help_text="The date the listing is for, as the page states it.")
    source_format = models.CharField(max_length=20, choices=Format.choices)
    file_name = models.CharField(max_length=500)
    sha256 = models.CharField(max_length=64)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    imported_at = models.DateTimeField(auto_now=True)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    papers = models.ManyToManyField(Paper, through="ListingEntry", related_name="listings")

    objects = ListingQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "date"], name="listing_unique_name_date"),
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.date:%b %-d, %Y}"


class ListingEntry(models.Model):
    """A paper's position in a listing: "trending rank 3 on Mar 14" as data."""

    # Not indexed alone: both unique constraints below begin with the listing.
    listing = models.ForeignKey(
        Listing, on_delete=models.CASCADE, related_name="entries", db_index=False
    )
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="entries")
    rank = models.PositiveIntegerField()

    class Meta:
        verbose_name_plural = "listing entries"
        ordering = ["listing", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["listing", "rank"], name="entry_unique_rank"),
            models.UniqueConstraint(fields=["listing", "paper"], name="entry_unique_paper"),
        ]

    def __str__(self) -> str:
        return f"#{self.rank} in {self.listing}"


class WorkspaceScopedQuerySet(models.QuerySet):
    """Rows that belong to a workspace: visible to its members, whatever their role."""

    def for_user(self, user):
        return self.filter(workspace__in=Workspace.objects.for_user(user))


class TagQuerySet(WorkspaceScopedQuerySet):
    def with_counts(self):
        return self.annotate(paper_count=models.Count("taggings"))


class Tag(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    papers = models.ManyToManyField(Paper, through="Tagging", related_name="tags")

    objects = TagQuerySet.as_manager()

    class Meta:
        ordering = [Lower("name")]
        constraints = [
            models.UniqueConstraint(Lower("name"), "workspace", name="tag_unique_name_ci"),
        ]

    def __str__(self) -> str:
        return self.name


class Tagging(models.Model):
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="taggings")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="taggings")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tag", "paper"], name="tagging_unique")]

    def __str__(self) -> str:
        return f"{self.tag} on {self.paper_id}"


class ReadingStateQuerySet(models.QuerySet):
    def for_user(self, user):
        """A reading state is a person's own: nobody else's is ever visible..."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)

    def shared_in(self, workspace):
        """...unless they chose to share it with the members of their workspaces."""
        return self.filter(user__share_reading_status=True, user__memberships__workspace=workspace)


class ReadingState(models.Model):
    class Status(models.TextChoices):
        TO_READ = "to-read", "To read"
        READING = "reading", "Reading"
        READ = "read", "Read"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reading_states"
    )
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="reading_states")
    status = models.CharField(max_length=10, choices=Status.choices)
    changed_at = models.DateTimeField(default=timezone.now)

    objects = ReadingStateQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "paper"], name="reading_state_unique"),
        ]
        ordering = ["-changed_at"]
        indexes = [models.Index(fields=["user", "status", "-changed_at"])]

    def __str__(self) -> str:
        return f"{self.user} {self.status} {self.paper_id}"


class NoteQuerySet(models.QuerySet):
    def for_user(self, user):
        """Workspace-visible notes of the user's workspaces, and their own private ones."""
        return self.filter(workspace__in=Workspace.objects.for_user(user)).filter(
            models.Q(visibility=Note.Visibility.WORKSPACE) | models.Q(author=user)
        )

    def shared_in(self, workspace):
        """What a workspace shares on lists, exports and public links: never private notes."""
        return self.filter(workspace=workspace, visibility=Note.Visibility.WORKSPACE)


class Note(models.Model):
    """A Markdown note on a paper, optionally anchored to a quote of its title or abstract.

    The anchor is a text-quote selector (the exact quote plus a little context
    on each side) with the offsets where it was last found, so it survives an
    edited abstract; when the quote is gone the note is kept, marked detached.
    """

    class Visibility(models.TextChoices):
        WORKSPACE = "workspace", "Visible to the workspace"
        PRIVATE = "private", "Private to me"

    class Field(models.TextChoices):
        TITLE = "title", "Title"
        ABSTRACT = "abstract", "Abstract"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="notes")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="notes"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    body = models.TextField()
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.WORKSPACE
    )
    anchor_field = models.CharField(max_length=10, choices=Field.choices, blank=True)
    quote = models.TextField(blank=True)
    prefix = models.TextField(blank=True)
    suffix = models.TextField(blank=True)
    start = models.PositiveIntegerField(null=True, blank=True)
    end = models.PositiveIntegerField(null=True, blank=True)
    detached = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = NoteQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["workspace", "-created_at"])]

    def __str__(self) -> str:
        return f"Note {self.pk} on {self.paper_id}"

    @property
    def is_highlight(self) -> bool:
        return bool(self.quote)


class SearchTerm(models.Model):
    """A word of the corpus (unstemmed) with the number of papers using it.

    The index's own vocabulary, kept for "did you mean" suggestions and for
    choosing the distinctive words of a paper when looking for related ones.
    Each import adds the words of the papers it created.
    """

    word = models.TextField(primary_key=True)
    ndoc = models.PositiveIntegerField()

    class Meta:
        indexes = [GinIndex(fields=["word"], name="search_term_trgm", opclasses=["gin_trgm_ops"])]

    def __str__(self) -> str:
        return self.word


class ReadingListQuerySet(WorkspaceScopedQuerySet):
    def public(self, token: str):
        """The list a public link names; a separate scope, never mixed with a user's."""
        if not token:
            return self.none()
        return self.filter(public_token=token)

    def by_feed_token(self, token: str):
        return self.filter(feed_token=token) if token else self.none()


def new_token() -> str:
    return secrets.token_urlsafe(24)


class ReadingList(models.Model):
    """A curated, ordered, annotated list of papers that a workspace shares."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="reading_lists")
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80)
    description = models.TextField(blank=True, help_text="Markdown.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    public_token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    feed_token = models.CharField(max_length=64, unique=True, default=new_token)
    papers = models.ManyToManyField(Paper, through="ListItem", related_name="reading_lists")

    objects = ReadingListQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "slug"], name="reading_list_unique_slug"),
        ]

    def __str__(self) -> str:
        return self.title


class ListItem(models.Model):
    reading_list = models.ForeignKey(ReadingList, on_delete=models.CASCADE, related_name="items")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="list_items")
    position = models.PositiveIntegerField()
    comment = models.TextField(blank=True, help_text="Markdown: why it is on the list.")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["reading_list", "position"]
        constraints = [
            models.UniqueConstraint(fields=["reading_list", "paper"], name="list_item_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.paper_id} in {self.reading_list_id}"


# An advisory-lock namespace (the first of PostgreSQL's two int4 keys): a
# worker holds (WORKER_LOCK, job id) on a connection of its own for as long as
# it runs the job. PostgreSQL drops the lock with the connection, so a job
# that says it is running while nobody holds its lock lost its worker.
WORKER_LOCK = 0x7073_0002

_WORKER_HOLDS_LOCK = """
    EXISTS (
        SELECT 1 FROM pg_locks
        WHERE locktype = 'advisory' AND granted
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND classid = %s::bigint::oid AND objid = papers_importjob.id::oid AND objsubid = 2
    )
"""


class ImportJobQuerySet(models.QuerySet):
    def latest_first(self) -> "ImportJobQuerySet":
        return self.order_by("-created_at", "-pk")

    def with_worker(self) -> "ImportJobQuerySet":
        """Annotate `worker_alive`: whether a worker process holds the job right now."""
        return self.annotate(
            worker_alive=models.expressions.RawSQL(
                _WORKER_HOLDS_LOCK, [WORKER_LOCK], output_field=models.BooleanField()
            )
        )

    def live(self) -> "ImportJobQuerySet":
        """Imports whose papers and listings are still in the database (not undone)."""
        return self.filter(
            models.Q(phase=ImportJob.Phase.IMPORT, state=ImportJob.State.SUCCEEDED)
            | models.Q(phase=ImportJob.Phase.UNDO)
        ).exclude(phase=ImportJob.Phase.UNDO, state=ImportJob.State.SUCCEEDED)


class ImportJob(models.Model):
    """One import of one or more listing files, from the admin or the command line.

    An admin import goes through phases: the files are checked (a dry run of
    the import service, rolled back), a person confirms, the worker imports,
    and it may later be undone. Each phase is queued, runs, and succeeds or
    fails; a file that cannot be read is rejected. The row is also the
    import's history: who, when, the files, the counts and every warning.
    """

    class Origin(models.TextChoices):
        ADMIN = "admin", "Admin upload"
        COMMAND = "command", "Command line"

    class Phase(models.TextChoices):
        CHECK = "check", "Check"
        IMPORT = "import", "Import"
        UNDO = "undo", "Undo"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        REJECTED = "rejected", "Rejected"

    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.ADMIN)
    phase = models.CharField(max_length=10, choices=Phase.choices, default=Phase.CHECK)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    source_format = models.CharField(
        max_length=20,
        choices=Listing.Format.choices,
        blank=True,
        help_text="The format asked for; empty means told from each file's content.",
    )
    listing_name = models.CharField(max_length=200, blank=True)
    listing_date = models.DateField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True, help_text="The phase's background task.")

    # Progress of the current phase, written by the worker as it goes.
    phase_started_at = models.DateTimeField(null=True, blank=True)
    progress_at = models.DateTimeField(null=True, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)

    # What the check found, then what the import did.
    imported_at = models.DateTimeField(null=True, blank=True)
    duration = models.DurationField(null=True, blank=True)
    created_count = models.PositiveIntegerField("new", default=0)
    updated_count = models.PositiveIntegerField("updated", default=0)
    unchanged_count = models.PositiveIntegerField("unchanged", default=0)
    rejected_count = models.PositiveIntegerField("rejected", default=0)
    warnings = models.JSONField(default=list, blank=True)
    preview = models.JSONField(default=list, blank=True)
    failure = models.TextField(blank=True)
    undo_report = models.JSONField(default=dict, blank=True)

    listings = models.ManyToManyField(
        Listing,
        blank=True,
        related_name="imports",
        help_text="The listings this import created or rewrote.",
    )
    papers_created = models.ManyToManyField(
        Paper, blank=True, related_name="+", help_text="The papers this import brought in."
    )

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        verbose_name = "import"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["phase", "state"])]

    def __str__(self) -> str:
        return f"Import {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.state in {self.State.QUEUED, self.State.RUNNING}

    @property
    def is_stopped(self) -> bool:
        """Running, says the row, but no worker holds it: the worker was lost.

        Needs the `worker_alive` annotation of `ImportJobQuerySet.with_worker`.
        """
        return self.state == self.State.RUNNING and not self.worker_alive

    @property
    def can_retry(self) -> bool:
        return self.state == self.State.FAILED or self.is_stopped

    @property
    def is_imported(self) -> bool:
        """True once the import has written its papers and until an undo removed them."""
        return self.phase == self.Phase.UNDO or (
            self.phase == self.Phase.IMPORT and self.state == self.State.SUCCEEDED
        )


class ImportFile(models.Model):
    """One file of an import (or the pasted text), with its content until the import is done.

    The content is kept in the database, in chunks, rather than on a disk:
    the web and worker processes may run on different machines and share
    only the database, and neither side ever holds more than a chunk of an
    upload in memory while storing it.
    """

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="files")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=500)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64)
    source_format = models.CharField(
        max_length=20,
        choices=Listing.Format.choices,
        blank=True,
        help_text="The format the file was read as.",
    )
    format_detected = models.BooleanField(default=False)
    # The lines of a streamed file (a JSON Lines dump), counted by the check
    # for the progress: the import does not decompress and count them again.
    lines = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["job", "position"]
        constraints = [
            models.UniqueConstraint(fields=["job", "position"], name="import_file_unique_position"),
        ]

    def __str__(self) -> str:
        return self.name


class ImportFileChunk(models.Model):
    file = models.ForeignKey(ImportFile, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        ordering = ["file", "index"]
        constraints = [
            models.UniqueConstraint(fields=["file", "index"], name="import_chunk_unique_index"),
        ]

    def __str__(self) -> str:
        return f"{self.file} #{self.index}"
