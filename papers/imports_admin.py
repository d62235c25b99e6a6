"""The admin's import pages: upload, check, confirm, follow, undo; and the history.

An `ImportJob`'s add page is the upload form and its change page follows the
job through its phases (see papers.tasks): the check's preview with its
counts, first rows and rejected rows; the progress of the import, which the
page polls with htmx; the result, with an undo. The changelist is the
history of every import, the command's included.
"""

import csv
from dataclasses import dataclass
from itertools import chain

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from papers.importing.service import import_undo_plan
from papers.importing.uploads import (
    SNIFF_SIZE,
    upload_limit_exceeded,
    upload_problem,
)
from papers.models import ImportJob, Listing
from papers.tasks import (
    ImportJobError,
    Upload,
    import_job_confirm,
    import_job_create,
    import_job_retry,
    import_job_undo,
)

# A pasted listing travels as a form field, which Django caps at
# DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB); the text area stops short of it.
PASTE_MAX_CHARS = 2_000_000
PASTED_NAME = "pasted text"
# The page lists this many warnings; the CSV has them all.
WARNINGS_SHOWN = 1000

STATUS = {
    (ImportJob.Phase.CHECK, ImportJob.State.QUEUED): ("Waiting to be checked", "active"),
    (ImportJob.Phase.CHECK, ImportJob.State.RUNNING): ("Checking", "active"),
    (ImportJob.Phase.CHECK, ImportJob.State.SUCCEEDED): ("Checked: ready to import", "ready"),
    (ImportJob.Phase.CHECK, ImportJob.State.FAILED): ("Check failed", "error"),
    (ImportJob.Phase.CHECK, ImportJob.State.REJECTED): ("Rejected", "error"),
    (ImportJob.Phase.IMPORT, ImportJob.State.QUEUED): ("Waiting to be imported", "active"),
    (ImportJob.Phase.IMPORT, ImportJob.State.RUNNING): ("Importing", "active"),
    (ImportJob.Phase.IMPORT, ImportJob.State.SUCCEEDED): ("Imported", "done"),
    (ImportJob.Phase.IMPORT, ImportJob.State.FAILED): ("Import failed", "error"),
    (ImportJob.Phase.IMPORT, ImportJob.State.REJECTED): ("Rejected", "error"),
    (ImportJob.Phase.UNDO, ImportJob.State.QUEUED): ("Waiting to be undone", "active"),
    (ImportJob.Phase.UNDO, ImportJob.State.RUNNING): ("Undoing", "active"),
    (ImportJob.Phase.UNDO, ImportJob.State.SUCCEEDED): ("Undone", "done"),
    (ImportJob.Phase.UNDO, ImportJob.State.FAILED): ("Undo failed", "error"),
}
STOPPED = ("Stopped: its worker is gone", "error")


# The history's status filter: each choice as a condition on phase, state and
# the `worker_alive` annotation (a running job without a worker has failed).
_ACTIVE = Q(state=ImportJob.State.QUEUED) | Q(state=ImportJob.State.RUNNING, worker_alive=True)
_SUCCEEDED = Q(state=ImportJob.State.SUCCEEDED)
STATUS_FILTER = {
    "checking": ("Checking", Q(phase=ImportJob.Phase.CHECK) & _ACTIVE),
    "checked": ("Ready to import", Q(phase=ImportJob.Phase.CHECK) & _SUCCEEDED),
    "importing": ("Importing", Q(phase=ImportJob.Phase.IMPORT) & _ACTIVE),
    "imported": ("Imported", Q(phase=ImportJob.Phase.IMPORT) & _SUCCEEDED),
    "failed": (
        "Failed or stopped",
        Q(state=ImportJob.State.FAILED) | Q(state=ImportJob.State.RUNNING, worker_alive=False),
    ),
    "rejected": ("Rejected", Q(state=ImportJob.State.REJECTED)),
    "undone": ("Undone", Q(phase=ImportJob.Phase.UNDO) & _SUCCEEDED),
}


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [(value, label) for value, (label, _) in STATUS_FILTER.items()]

    def queryset(self, request, queryset):
        if self.value() in STATUS_FILTER:
            return queryset.filter(STATUS_FILTER[self.value()][1])
        return queryset


def job_status(job: ImportJob) -> tuple[str, str]:
    """The job's status in words, and its tone (active, ready, done or error)."""
    return STOPPED if job.is_stopped else STATUS[job.phase, job.state]


# ---- The upload form ----------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        clean_one = super().clean
        return [clean_one(file, initial) for file in files]


class ImportUploadForm(forms.Form):
    files = MultipleFileField(
        required=False,
        help_text="One or more listing files; a gzipped file (.gz) is read as it is.",
    )
    text = forms.CharField(
        label="Or paste a listing",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80, "maxlength": PASTE_MAX_CHARS}),
        help_text=f"Up to {PASTE_MAX_CHARS // 1_000_000} million characters; "
        "for more, upload a file.",
    )
    source_format = forms.ChoiceField(
        label="Format",
        required=False,
        choices=[("", "Tell from the content"), *Listing.Format.choices],
    )
    listing_name = forms.CharField(
        required=False,
        max_length=Listing._meta.get_field("name").max_length,
        help_text="Default: the name the file gives, else one for its format.",
    )
    listing_date = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Default: the dates the file states, else today.",
    )

    def __init__(self, *args, limit_exceeded: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.limit_exceeded = limit_exceeded

    def clean_files(self) -> list:
        files = self.cleaned_data["files"]
        for upload in files:
            head = upload.read(SNIFF_SIZE)
            upload.seek(0)
            if problem := upload_problem(head, whole=upload.size <= SNIFF_SIZE):
                raise forms.ValidationError(f"{upload.name}: rejected: {problem}.")
        return files

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.limit_exceeded:
            raise forms.ValidationError(
                f"The upload is larger than the limit of {settings.PAPERSHELF_MAX_UPLOAD_MB} MB "
                "(PAPERSHELF_MAX_UPLOAD_MB), so nothing was kept. Upload fewer files at once, "
                "gzip the file, or import it with manage.py import_listing."
            )
        if not self.errors and not cleaned.get("files") and not cleaned.get("text", "").strip():
            raise forms.ValidationError("Choose a file to upload or paste a listing.")
        return cleaned

    def uploads(self) -> list[Upload]:
        uploads = [Upload(file.name, file.chunks()) for file in self.cleaned_data["files"]]
        if text := self.cleaned_data["text"].strip():
            uploads.append(Upload(PASTED_NAME, [text.encode()]))
        return uploads


# ---- What the job page shows --------------------------------------------------


@dataclass
class JobPage:
    """Everything the job page decides, decided once here so the template only shows it."""

    job: ImportJob
    status: str
    tone: str
    polling: bool
    percent: int | None
    rate: float | None
    time_left: str
    waiting_for: ImportJob | None
    can_confirm: bool
    can_retry: bool
    can_undo: bool
    can_discard: bool
    rejected_rows: list[dict]
    other_warnings: list[dict]
    warnings_hidden: int

    @classmethod
    def of(cls, job: ImportJob, *, may_change: bool, may_delete: bool) -> "JobPage":
        status, tone = job_status(job)
        shown = job.warnings[:WARNINGS_SHOWN]
        rate = _rate(job)
        return cls(
            job=job,
            status=status,
            tone=tone,
            polling=job.is_active and not job.is_stopped,
            percent=100 * job.rows_done // job.rows_total if job.rows_total else None,
            rate=rate,
            time_left=_about((job.rows_total - job.rows_done) / rate) if rate else "",
            waiting_for=_waiting_for(job),
            can_confirm=may_change
            and (job.phase, job.state) == (ImportJob.Phase.CHECK, ImportJob.State.SUCCEEDED),
            can_retry=may_change and job.can_retry,
            can_undo=may_change
            and (job.phase, job.state) == (ImportJob.Phase.IMPORT, ImportJob.State.SUCCEEDED),
            can_discard=may_delete and _discardable(job),
            rejected_rows=[warning for warning in shown if warning["rejected"]],
            other_warnings=[warning for warning in shown if not warning["rejected"]],
            warnings_hidden=len(job.warnings) - len(shown),
        )


def _rate(job: ImportJob) -> float | None:
    """Rows a second so far in this phase, once there is something to measure."""
    if job.state != ImportJob.State.RUNNING or not job.rows_done or not job.phase_started_at:
        return None
    elapsed = (job.progress_at - job.phase_started_at).total_seconds()
    return job.rows_done / elapsed if elapsed > 0 else None


def _about(seconds: float) -> str:
    """A time left in words, as rough as the estimate: "about 40 seconds", "about 3 minutes"."""
    if seconds < 60:
        count, unit = max(1, round(seconds)), "second"
    elif seconds < 5400:
        count, unit = round(seconds / 60), "minute"
    else:
        count, unit = round(seconds / 3600), "hour"
    return f"about {count} {unit}{'s' if count != 1 else ''}"


def _waiting_for(job: ImportJob) -> ImportJob | None:
    """The import this one waits for: imports write one at a time (see `imports_lock`)."""
    if job.state != ImportJob.State.RUNNING or job.rows_done or not job.rows_total:
        return None
    return (
        ImportJob.objects.with_worker()
        .filter(state=ImportJob.State.RUNNING, worker_alive=True, rows_done__gt=0)
        .exclude(pk=job.pk)
        .first()
    )


def _discardable(job: ImportJob) -> bool:
    """Only an import that never wrote anything, and is not running, may go from the history."""
    return not job.is_imported and (not job.is_active or job.is_stopped)


# ---- The admin ------------------------------------------------------------------


class ImportJobAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "who",
        "file_names",
        "status",
        "created_count",
        "updated_count",
        "unchanged_count",
        "rejected_count",
        "duration_shown",
    )
    list_filter = (StatusFilter, "origin", ("files__source_format", admin.ChoicesFieldListFilter))
    search_fields = ("files__name", "files__sha256", "listing_name", "created_by__username")
    date_hierarchy = "created_at"
    list_display_links = ("created_at",)
    list_per_page = 50
    # No bulk delete: deleting an import that wrote papers would lose its
    # history and its undo. The job page discards one that never did.
    actions = None

    def changelist_view(self, request: HttpRequest, extra_context=None):
        return super().changelist_view(request, {"title": "Imports", **(extra_context or {})})

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .with_worker()
            .select_related("created_by")
            .prefetch_related("files")
        )

    def has_delete_permission(self, request: HttpRequest, obj: ImportJob | None = None) -> bool:
        return super().has_delete_permission(request, obj) and (obj is None or _discardable(obj))

    @admin.display(description="who")
    def who(self, job: ImportJob) -> str:
        if job.origin == ImportJob.Origin.COMMAND:
            return "command line"
        return job.created_by.get_username() if job.created_by else "a deleted account"

    @admin.display(description="files")
    def file_names(self, job: ImportJob) -> str:
        return ", ".join(file.name for file in job.files.all())

    @admin.display(description="status")
    def status(self, job: ImportJob) -> str:
        return job_status(job)[0]

    @admin.display(description="duration", ordering="duration")
    def duration_shown(self, job: ImportJob) -> str:
        return f"{job.duration.total_seconds():.1f} s" if job.duration else "-"

    # ---- URLs -------------------------------------------------------------

    def get_urls(self) -> list:
        def url(route: str, view, name: str):
            return path(
                f"<int:pk>/{route}",
                self.admin_site.admin_view(view),
                name=f"papers_importjob_{name}",
            )

        return [
            url("confirm/", self.confirm_view, "confirm"),
            url("retry/", self.retry_view, "retry"),
            url("undo/", self.undo_view, "undo"),
            url("warnings.csv", self.warnings_view, "warnings"),
            *super().get_urls(),
        ]

    def _job(self, request: HttpRequest, pk, *, change: bool = False) -> ImportJob:
        job = self.get_object(request, str(pk))
        if job is None:
            raise Http404("No such import.")
        allowed = self.has_change_permission if change else self.has_view_permission
        if not allowed(request, job):
            raise PermissionDenied
        return job

    def _page(self, request: HttpRequest, job: ImportJob, title: str) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "job": job,
        }

    # ---- Views ------------------------------------------------------------

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None):
        """The upload page: files or pasted text in, a job checking them out."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        status = 200
        if request.method == "POST":
            form = ImportUploadForm(
                request.POST, request.FILES, limit_exceeded=upload_limit_exceeded(request)
            )
            if form.is_valid():
                job = import_job_create(
                    uploads=form.uploads(),
                    source_format=form.cleaned_data["source_format"],
                    listing_name=form.cleaned_data["listing_name"],
                    listing_date=form.cleaned_data["listing_date"],
                    user=request.user,
                )
                self.log_addition(request, job, [{"added": {}}])
                return redirect("admin:papers_importjob_change", job.pk)
            status = 422
        else:
            form = ImportUploadForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import listings",
            "form": form,
            "max_upload_mb": settings.PAPERSHELF_MAX_UPLOAD_MB,
        }
        return TemplateResponse(
            request, "admin/papers/importjob/upload.html", context, status=status
        )

    def change_view(self, request: HttpRequest, object_id: str, form_url="", extra_context=None):
        """The job's page; its `job` partial alone when htmx polls for progress."""
        job = self._job(request, object_id)
        context = {
            **self._page(request, job, str(job)),
            "page": JobPage.of(
                job,
                may_change=self.has_change_permission(request, job),
                may_delete=self.has_delete_permission(request, job),
            ),
        }
        template = "admin/papers/importjob/detail.html"
        return TemplateResponse(request, f"{template}#job" if request.htmx else template, context)

    def confirm_view(self, request: HttpRequest, pk: int):
        return self._transition(request, pk, import_job_confirm, "The import is queued.")

    def retry_view(self, request: HttpRequest, pk: int):
        return self._transition(request, pk, import_job_retry, "Queued again.")

    def _transition(self, request: HttpRequest, pk: int, service, done: str):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        job = self._job(request, pk, change=True)
        try:
            service(job=job)
        except ImportJobError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(request, done, messages.SUCCESS)
        return _job_redirect(job)

    def undo_view(self, request: HttpRequest, pk: int):
        """What an undo will remove and keep; confirmed by a POST, which queues it."""
        job = self._job(request, pk, change=True)
        if request.method == "POST":
            return self._transition(request, pk, import_job_undo, "The undo is queued.")
        if not job.is_imported or job.phase == ImportJob.Phase.UNDO:
            return _job_redirect(job)
        plan = import_undo_plan(job)
        context = {
            **self._page(request, job, f"Undo {job}"),
            "plan": plan,
            "papers_removed": plan.papers.count(),
            "papers_kept": plan.kept_shown(),
            "papers_kept_count": plan.kept.count(),
        }
        return TemplateResponse(request, "admin/papers/importjob/undo.html", context)

    def warnings_view(self, request: HttpRequest, pk: int) -> StreamingHttpResponse:
        """Every warning of the import as CSV: file, line, rejected, message."""
        job = self._job(request, pk)
        rows = (
            [w["file"], w["line"], "yes" if w["rejected"] else "", w["message"]]
            for w in job.warnings
        )
        writer = csv.writer(_Echo())
        header = ["file", "line", "rejected", "message"]
        lines = (writer.writerow(row) for row in chain([header], rows))
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-warnings.csv"'
        return response


class _Echo:
    """A file that hands back what is written to it, for csv.writer to stream through."""

    def write(self, value: str) -> str:
        return value


def _job_redirect(job: ImportJob) -> HttpResponseRedirect:
    return redirect(reverse("admin:papers_importjob_change", args=[job.pk]))
