"""The Papershelf export: a reading list as JSON, read back as a listing.

This docstring is the format's specification: the exporter writes what it
describes and this parser reads it. Version 1::

    {
      "papershelf": 1,
      "kind": "reading-list",
      "title": "Diffusion reading group",
      "description": "What we read in the spring term.",
      "exported_at": "2026-03-14T09:30:00+00:00",
      "papers": [
        {
          "position": 1,
          "arxiv_id": "2401.01234",
          "title": "A Paper Title",
          "abstract": "First paragraph.\\n\\nSecond paragraph.",
          "authors": ["Ada Lovelace", "Alan Turing"],
          "url": "https://arxiv.org/abs/2401.01234",
          "published": "2024-01-05",
          "comment": "Start with section 3."
        }
      ]
    }

The file is one JSON object in UTF-8 (no byte order mark; the exporter
indents by two spaces, but any layout reads the same). Its members:

``papershelf``
    The format version, the JSON number ``1``. Required: a file without it is
    not an export, and any other version is rejected rather than misread.
``kind``
    ``"reading-list"``, the only kind so far. Required.
``title``
    The reading list's name, a non-empty string. It names the listing the
    import makes, unless ``import_listing --name`` is given.
``description``
    The reading list's description, a string (``""`` when there is none).
    Not imported: a listing has no description.
``exported_at``
    When the export was made: an ISO 8601 date and time with its UTC offset.
    Not imported: the listing is dated as any file without dates is.
``papers``
    The list items, an array, in order of ``position``.

Each paper is an object with these members:

``position``
    The item's place in the list: a whole number from 1, each used once. The
    import lists papers in this order, whatever the array's order.
``arxiv_id``
    The arXiv id without a version (``"2401.01234"``, ``"hep-th/9901001"``),
    or ``null`` for a paper without one.
``title``
    Required, a non-empty string.
``abstract``
    A string, ``""`` when unknown. Paragraphs are separated by one blank line
    (``"\\n\\n"``) and have no line breaks inside.
``authors``
    An array of names, each written first name first (``"Ada Lovelace"``);
    ``[]`` when unknown.
``url``
    The paper's http(s) address, or ``null``.
``published``
    The publication date as ``"YYYY-MM-DD"``, or ``null``.
``comment``
    The list item's comment, a string (``""`` when there is none). Not
    imported: a listing holds no comments.

Text is plain Unicode: no TeX, no HTML. Members not described here are
ignored, so a later version 1 exporter may add optional members; a change a
reader must understand gets a new version number.
"""

from collections.abc import Iterator
from datetime import date

from papers.importing.decode import listing_text
from papers.importing.fields import Item, listing_from, paper_from_fields, shown
from papers.importing.json_listing import array_values, error_at, object_document
from papers.importing.records import ListingError, ParsedListing, ParseWarning

VERSION = 1
KIND = "reading-list"
# The paper members that name paper fields; the rest are not imported.
PAPER_FIELDS = ("arxiv_id", "title", "abstract", "authors", "url", "published")


def parse_papershelf(data: bytes, *, today: date) -> ParsedListing:
    """Read a Papershelf export; its title becomes the listing's name; `today` is unused."""
    text = listing_text(data)
    # A name given twice keeps its last value, as JSON readers do.
    members = {name: (where, value) for name, where, value in object_document(text)}
    _check_version_and_kind(text, members)
    listing = listing_from(_papers(text, members))
    title = members.get("title", (0, None))[1]
    listing.name = title.strip() if isinstance(title, str) and title.strip() else None
    return listing


def _check_version_and_kind(text: str, members: dict[str, tuple[int, object]]) -> None:
    if "papershelf" not in members:
        raise ListingError('not a Papershelf export: it has no "papershelf" version', line=1)
    where, version = members["papershelf"]
    # `true == 1` in Python, but it is no version number.
    if version != VERSION or isinstance(version, bool):
        message = f"Papershelf export version {shown(version)} cannot be read: this reads version 1"
        raise error_at(text, where, message)
    where, kind = members.get("kind", (0, None))
    if kind != KIND:
        raise error_at(text, where, f'not a reading-list export: "kind" is {shown(kind)}')


def _papers(text: str, members: dict[str, tuple[int, object]]) -> Iterator[Item]:
    where, papers = members.get("papers", (0, None))
    if not isinstance(papers, list):
        raise error_at(text, where, 'no papers: "papers" must be an array')
    for line, paper in array_values(text, where):
        if not isinstance(paper, dict):
            yield ParseWarning(line, "not a JSON object: not imported", dropped=True)
            continue
        position = paper.get("position")
        if not isinstance(position, int) or isinstance(position, bool):
            message = f"position {shown(position)} is not a whole number: listed after the others"
            yield ParseWarning(line, message)
            position = None
        fields = {name: paper.get(name) for name in PAPER_FIELDS}
        yield from paper_from_fields({**fields, "rank": position}, line=line)
