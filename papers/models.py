from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.urls import reverse


class Paper(models.Model):
    """One work, whatever listing brought it: global, shared by every workspace.

    Identity is the arXiv id when known; otherwise the normalised title key
    (indexed, not unique: two arXiv papers can share a title).
    """

    arxiv_id = models.CharField(max_length=32, unique=True, null=True, blank=True)
    title = models.TextField()
    title_key = models.TextField(db_index=True)
    abstract = models.TextField()
    authors = models.JSONField(default=list, blank=True)
    url = models.URLField(max_length=500, blank=True)
    published = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    search_vector = models.GeneratedField(
        expression=SearchVector("title", weight="A", config="english")
        + SearchVector("abstract", weight="B", config="english"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        indexes = [
            GinIndex(fields=["search_vector"], name="paper_search_vector"),
            GinIndex(fields=["title"], name="paper_title_trgm", opclasses=["gin_trgm_ops"]),
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

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="entries")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="entries")
    rank = models.PositiveIntegerField()

    class Meta:
        ordering = ["listing", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["listing", "rank"], name="entry_unique_rank"),
            models.UniqueConstraint(fields=["listing", "paper"], name="entry_unique_paper"),
        ]

    def __str__(self) -> str:
        return f"#{self.rank} in {self.listing}"
