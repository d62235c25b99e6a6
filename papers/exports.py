"""Reading lists and search results as files: Markdown, BibTeX, CSV and JSON.

Every exporter takes the same `ExportEntry` rows, so a list and a search
result export alike. The JSON follows the Papershelf format that
`papers/importing/papershelf.py` specifies and reads back.
"""

import csv
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from papers.models import Note, Paper

CONTENT_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "bib": "application/x-bibtex; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json; charset=utf-8",
}


@dataclass
class ExportEntry:
    paper: Paper
    comment: str = ""
    notes: list[Note] = field(default_factory=list)
    year: int | None = None  # from the paper's date, else its latest listing


def _year(entry: ExportEntry) -> int | None:
    return entry.paper.published.year if entry.paper.published else entry.year


def export_markdown(title: str, description: str, entries: list[ExportEntry]) -> str:
    lines = [f"# {title}", ""]
    if description:
        lines += [description, ""]
    for position, entry in enumerate(entries, start=1):
        paper = entry.paper
        lines.append(f"## {position}. {paper.title}")
        lines.append("")
        meta = [", ".join(paper.authors)] if paper.authors else []
        if paper.arxiv_id:
            meta.append(f"[arXiv:{paper.arxiv_id}](https://arxiv.org/abs/{paper.arxiv_id})")
        elif paper.url:
            meta.append(f"<{paper.url}>")
        if meta:
            lines += [" · ".join(meta), ""]
        if entry.comment:
            lines += [entry.comment, ""]
        for note in entry.notes:
            author = note.author.get_username() if note.author else "deleted user"
            if note.quote:
                lines.append(f"> {note.quote}")
                lines.append("")
            body = note.body.replace("\n", "\n  ")
            lines += [f"- **{author}**, {note.created_at:%Y-%m-%d}: {body}", ""]
        if paper.abstract:
            lines += [
                "<details><summary>Abstract</summary>",
                "",
                paper.abstract,
                "",
                "</details>",
                "",
            ]
    return "\n".join(lines).rstrip() + "\n"


# BibTeX's special characters. Braces become commands: an escaped brace would still
# count in BibTeX's brace matching and could unbalance the entry.
_BIBTEX_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}
_BIBTEX_SPECIAL = re.compile("|".join(re.escape(c) for c in _BIBTEX_ESCAPES))


def bibtex_escape(text: str) -> str:
    """Text with BibTeX's special characters escaped; every brace left is a balanced pair."""
    return _BIBTEX_SPECIAL.sub(lambda m: _BIBTEX_ESCAPES[m[0]], text)


def _ascii_word(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]", "", folded)


STOP_WORDS = {"a", "an", "the", "on", "of", "for", "and", "to", "in", "is", "with", "towards"}


def bibtex_key(entry: ExportEntry) -> str:
    """Last name of the first author, year, first significant title word: Vaswani2017Attention."""
    paper = entry.paper
    author = _ascii_word(paper.authors[0].split()[-1]) if paper.authors else ""
    words = [w for w in re.findall(r"[^\W_]+", paper.title) if w.lower() not in STOP_WORDS]
    title_word = _ascii_word(words[0]).capitalize() if words else ""
    key = f"{author}{_year(entry) or ''}{title_word}"
    return key or f"paper{paper.pk}"


def export_bibtex(entries: list[ExportEntry]) -> str:
    """Entries with unique keys: papers sharing one get a, b, c by their id, so keys are stable."""
    by_key: dict[str, list[int]] = {}
    for entry in entries:
        by_key.setdefault(bibtex_key(entry), []).append(entry.paper.pk)
    chunks = []
    for entry in entries:
        key = bibtex_key(entry)
        if len(by_key[key]) > 1:
            key += chr(ord("a") + sorted(by_key[key]).index(entry.paper.pk))
        chunks.append(_bibtex_entry(key, entry))
    return "\n".join(chunks)


def _bibtex_entry(key: str, entry: ExportEntry) -> str:
    paper = entry.paper
    fields = [("title", "{" + bibtex_escape(paper.title) + "}")]
    if paper.authors:
        fields.append(("author", " and ".join(bibtex_escape(a) for a in paper.authors)))
    if year := _year(entry):
        fields.append(("year", str(year)))
    if paper.arxiv_id:
        fields += [
            ("eprint", paper.arxiv_id),
            ("archivePrefix", "arXiv"),
            ("url", f"https://arxiv.org/abs/{paper.arxiv_id}"),
        ]
    elif paper.url:
        fields.append(("url", paper.url))
    if paper.abstract:
        fields.append(("abstract", bibtex_escape(paper.abstract)))
    if entry.comment:
        fields.append(("note", bibtex_escape(entry.comment)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    kind = "misc" if paper.arxiv_id or not paper.published else "article"
    return f"@{kind}{{{key},\n{body}\n}}\n"


CSV_COLUMNS = [
    "position",
    "arxiv_id",
    "title",
    "authors",
    "url",
    "published",
    "abstract",
    "comment",
]


def export_csv(entries: list[ExportEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for position, entry in enumerate(entries, start=1):
        paper = entry.paper
        writer.writerow(
            [
                position,
                paper.arxiv_id or "",
                paper.title,
                ", ".join(paper.authors),
                paper.url,
                paper.published.isoformat() if paper.published else "",
                paper.abstract,
                entry.comment,
            ]
        )
    return out.getvalue()


def export_json(title: str, description: str, entries: list[ExportEntry], *, now: datetime) -> str:
    document = {
        "papershelf": 1,
        "kind": "reading-list",
        "title": title,
        "description": description,
        "exported_at": now.isoformat(),
        "papers": [
            {
                "position": position,
                "arxiv_id": entry.paper.arxiv_id or None,
                "title": entry.paper.title,
                "abstract": entry.paper.abstract,
                "authors": list(entry.paper.authors),
                "url": entry.paper.url or None,
                "published": _iso(entry.paper.published),
                "comment": entry.comment,
            }
            for position, entry in enumerate(entries, start=1)
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
