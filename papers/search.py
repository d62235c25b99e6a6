"""One search box: a query string in, a ranked QuerySet of papers out.

    continual learning "catastrophic forgetting" -survey tag:rnn status:to-read

Free text goes to PostgreSQL's `websearch_to_tsquery` (words, "phrases",
-exclusions, or), ranked from the stored weighted `tsvector` (title above
abstract; cover density puts phrases and near words above scattered ones).
Filters are `name:value` words; each is one small function in FILTERS, so a
new filter is one function and one entry. Nothing in a query is an error:
what does not parse as a filter is searched as text, and `Search.readings`
says how the query was read.
"""

import math
import re
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from difflib import SequenceMatcher, get_close_matches
from functools import lru_cache
from typing import NamedTuple

from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
)
from django.db import OperationalError, connection, transaction
from django.db.models import (
    BigAutoField,
    BooleanField,
    Case,
    Exists,
    F,
    FloatField,
    Func,
    Lookup,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils.text import get_text_list
from psycopg.errors import QueryCanceled

from accounts.models import User, Workspace
from papers.importing.fields import arxiv_id
from papers.importing.text import title_key
from papers.models import (
    IN_SEARCH_SAMPLE,
    SEARCH_SAMPLE_EVERY,
    Listing,
    ListingEntry,
    ListItem,
    Note,
    Paper,
    ReadingList,
    ReadingState,
    SearchTerm,
    Tag,
    Tagging,
)
from papers.views.pagination import count_matches

MAX_QUERY_LENGTH = 500
SORTS = {"relevance": "Relevance", "rank": "Listing rank", "newest": "Newest", "title": "Title"}

# A filter word: optional minus, a name, a colon, then a quoted or bare value.
_TOKEN = re.compile(r'-?[a-z]+:"[^"]*"|-?[a-z]+:\S+|"[^"]*"?|\S+')
# A phrase of the query, shown in single quotes within the text's double ones.
_QUOTED = re.compile(r'"([^"]*)"?')
_FILTER = re.compile(r'(?P<negated>-?)(?P<name>[a-z]+):(?P<value>"[^"]*"|\S+)$')


def filter_word(name: str, value: str) -> str:
    """The query word for `name:value`: quoted when the value holds spaces (a tag's name)."""
    return f'{name}:"{value}"' if any(c.isspace() for c in value) else f"{name}:{value}"


# Control characters never mean anything in a query; PostgreSQL rejects NUL outright.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass
class Scope:
    """Who is searching, and where: workspace filters only ever see what they may.

    `with_phrase` says the query's text has a "phrase" (`search` sets it).
    """

    user: User
    workspace: Workspace
    with_phrase: bool = False


class FilterValueError(ValueError):
    """A filter's value makes no sense (status:maybe); the word is searched as text."""


Filter = Callable[[QuerySet, str, bool, Scope], tuple[QuerySet, str]]


def _negate(condition: Q | Exists, negated: bool) -> Q | Exists:
    return ~condition if negated else condition


# Beside a phrase, a filter that keeps at most this many papers hands
# PostgreSQL their ids. The search index finds the papers holding the
# phrase's words, whose vectors must then be read for their positions; with
# the ids PostgreSQL intersects the two first (a bitmap of each) and reads
# the vectors of the few in both. As a condition checked on each paper it
# read the vectors of all the filter's papers, or of all the phrase's:
# `"graph neural network" tag:benchmark` took 280 ms at a million papers,
# 28 ms with the 5,000 ids. Elsewhere the ids cost more than they save
# (the 35 kB of them parsed by each statement, a bitmap of 5,000 probes):
# without a phrase the index answers exactly, and alone the filter's first
# page comes from walking the papers in the page's order.
FEW_PAPERS = 10_000


def _few_papers(paper_ids: QuerySet) -> str | None:
    """The `paper_id`s of the rows, as a PostgreSQL array literal; None past FEW_PAPERS."""
    sql, params = paper_ids.values("paper_id")[: FEW_PAPERS + 1].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), coalesce(array_agg(paper_id), '{{}}')::text FROM ({sql}) AS few",
            params,
        )
        count, ids = cursor.fetchone()
    return ids if count <= FEW_PAPERS else None


def _tags(value: str, scope: Scope) -> QuerySet:
    return Tag.objects.for_user(scope.user).filter(workspace=scope.workspace, name__iexact=value)


def _taggings(value: str, scope: Scope) -> QuerySet:
    return Tagging.objects.filter(tag__in=_tags(value, scope))


def _states(value: str, scope: Scope) -> QuerySet:
    return ReadingState.objects.for_user(scope.user).filter(status=value)


# Filters whose papers rows of their own hold once each: a tag's taggings
# (a workspace has one tag of a name), my reading states of a status.
# Alone, such a filter is counted from those rows, without looking each
# paper up: the 5,000 papers of `tag:benchmark` at a million, 0.8 ms
# against 2-3.
OWN_ROWS: dict[str, Callable[[str, Scope], QuerySet]] = {
    "tag": _taggings,
    "status": _states,
}


def filter_tag(papers: QuerySet, value: str, negated: bool, scope: Scope):
    tags = _tags(value, scope)
    label = f"{'not ' if negated else ''}tagged “{value}”"
    tagged_rows = _taggings(value, scope)
    if scope.with_phrase and not negated and (ids := _few_papers(tagged_rows)) is not None:
        return papers.filter(pk__any=ids), label
    # The tag's id as a value: the planner then knows from the taggings'
    # statistics how many papers it has (thousands, it guessed a hundred).
    tagged = Exists(
        Tagging.objects.filter(
            paper=OuterRef("pk"), tag__in=list(tags.values_list("pk", flat=True))
        )
    )
    return papers.filter(_negate(tagged, negated)), label


def filter_status(papers: QuerySet, value: str, negated: bool, scope: Scope):
    if value not in ReadingState.Status.values:
        raise FilterValueError(f"status is one of {', '.join(ReadingState.Status.values)}")
    states = _states(value, scope)
    label = f"{'not ' if negated else ''}{ReadingState.Status(value).label.lower()}"
    if scope.with_phrase and not negated and (ids := _few_papers(states)) is not None:
        return papers.filter(pk__any=ids), label
    return papers.filter(_negate(Exists(states.filter(paper=OuterRef("pk"))), negated)), label


def filter_listing(papers: QuerySet, value: str, negated: bool, scope: Scope):
    """The papers of one listing (the newest import of that date), with their rank in it.

    A join rather than EXISTS: the listing's (listing, rank) index then gives
    the first page in rank order without ranking every paper of a big listing.
    """
    listings = Listing.objects.latest_first()
    if value != "latest":
        try:
            listings = listings.filter(date=date.fromisoformat(value))
        except ValueError as error:
            raise FilterValueError("listing takes a date (YYYY-MM-DD) or latest") from error
    listing = listings.first()
    day = listing.date if listing else value
    if negated:
        listed = Exists(ListingEntry.objects.filter(paper=OuterRef("pk"), listing=listing))
        return papers.filter(~listed), f"not in the listing of {day}"
    return _in_listing(papers, listing), f"in the listing of {day}"


def _in_listing(papers: QuerySet, listing: Listing | None) -> QuerySet:
    if listing is None:
        return papers.none()
    return papers.filter(entries__listing=listing).annotate(rank=F("entries__rank"))


def _visible_notes(scope: Scope) -> QuerySet:
    return Note.objects.for_user(scope.user).filter(workspace=scope.workspace)


def filter_has(papers: QuerySet, value: str, negated: bool, scope: Scope):
    notes = _visible_notes(scope).filter(paper=OuterRef("pk"))
    if value == "note":
        condition, label = Exists(notes), "with notes"
    elif value == "highlight":
        condition, label = Exists(notes.exclude(quote="")), "with highlights"
    else:
        raise FilterValueError("has takes note or highlight")
    return papers.filter(_negate(condition, negated)), f"{'not ' if negated else ''}{label}"


def filter_by(papers: QuerySet, value: str, negated: bool, scope: Scope):
    noted = _visible_notes(scope).filter(author__username__iexact=value)
    tagged = Tagging.objects.filter(
        added_by__username__iexact=value,
        tag__in=Tag.objects.for_user(scope.user).filter(workspace=scope.workspace),
    )
    # The papers from their notes and taggings: asking each paper whether it
    # has either read every paper when few do (0.36 s at a million).
    annotated = Q(pk__in=noted.values("paper_id").union(tagged.values("paper_id")))
    return papers.filter(
        _negate(annotated, negated)
    ), f"{'not ' if negated else ''}annotated by {value}"


def filter_list(papers: QuerySet, value: str, negated: bool, scope: Scope):
    lists = ReadingList.objects.for_user(scope.user).filter(
        workspace=scope.workspace, slug=value.lower()
    )
    listed = Exists(ListItem.objects.filter(paper=OuterRef("pk"), reading_list__in=lists))
    return papers.filter(
        _negate(listed, negated)
    ), f"{'not ' if negated else ''}on the list “{value}”"


def filter_year(papers: QuerySet, value: str, negated: bool, scope: Scope):
    if not re.fullmatch(r"\d{4}", value):
        raise FilterValueError("year takes four digits")
    year = int(value)
    condition = Q(published__year=year)
    # Only listings of that year can add papers: without one, the index on
    # `published` alone answers, where checking each paper's listings read
    # every paper of a year with few (1.5 s at a million papers).
    listings = list(Listing.objects.filter(date__year=year).values_list("pk", flat=True))
    if listings:
        condition |= Exists(ListingEntry.objects.filter(paper=OuterRef("pk"), listing__in=listings))
    return papers.filter(_negate(condition, negated)), f"{'not ' if negated else ''}from {year}"


FILTERS: dict[str, Filter] = {
    "tag": filter_tag,
    "status": filter_status,
    "listing": filter_listing,
    "has": filter_has,
    "by": filter_by,
    "list": filter_list,
    "year": filter_year,
}


@dataclass
class Search:
    """A parsed query and the QuerySet it gives."""

    text: str = ""
    readings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    listing_filter: bool = False
    # The latest listing, which an empty query shows.
    listing: Listing | None = None
    ranked_subset: bool = False
    # Looking for matches took too long: they are those found by then.
    stopped: bool = False
    # A filter leaves papers out (`-tag:read`).
    excluding: bool = False
    # Counting the filters' papers took too long (see EXCLUDING_BUDGET_MS).
    filters_stopped: bool = False
    # The page's count and ids where they were counted already (see `count_matches`).
    counted: tuple[int, str] | None = None
    # Every paper is checked, with budgets of seconds (see EVERY_PAPER_BUDGET_MS).
    every: bool = False
    # The query's words are all too common to search for (the problem says which).
    only_common_words: bool = False
    # The query is this arXiv id.
    arxiv_id: str = ""
    rank_candidates: str = ""
    papers: QuerySet | None = None
    sort: str = "relevance"

    @property
    def query(self) -> SearchQuery | None:
        return (
            SearchQuery(self.text, search_type="websearch", config="english") if self.text else None
        )


def search(raw: str, *, scope: Scope, sort: str = "", every: bool = False) -> Search:
    """The papers of a query; with `every`, the search takes as long as checking them all takes."""
    raw = _CONTROL.sub(" ", raw)[:MAX_QUERY_LENGTH]
    result = Search(every=every)
    papers = Paper.objects.all()
    words: list[str] = []
    last_filter = ("", "")  # name and value
    tokens = _TOKEN.findall(raw)
    scope = replace(scope, with_phrase=any('"' in t for t in tokens if not _is_filter(t)))
    if not tokens:
        # No query: the latest listing, in rank order.
        result.listing = Listing.objects.latest_first().first()
        papers = _in_listing(papers, result.listing)
        result.listing_filter = True
    for token in tokens:
        if not _is_filter(token):
            if problem := _not_a_filter(token):
                result.problems.append(problem)
            words.append(token)
            continue
        match = _FILTER.match(token)
        value = match["value"].strip('"').strip()
        try:
            if not value:
                raise FilterValueError(f"{match['name']} needs a value")
            papers, reading = FILTERS[match["name"]](papers, value, bool(match["negated"]), scope)
        except FilterValueError as problem:
            result.problems.append(f"“{token}”: {problem}, so it was searched as text")
            words.append(token.replace(":", " "))
            continue
        result.readings.append(reading)
        result.listing_filter |= match["name"] == "listing"
        result.excluding |= bool(match["negated"])
        last_filter = (match["name"], value)
    if result.readings and _dangling_or_taken_out(words):
        result.problems.append("“or” joins words, not filters: every filter applies")
    result.text = " ".join(words).strip()
    if paper_id := _arxiv_reference(result.text):
        papers = papers.filter(arxiv_id=paper_id)
        result.readings.insert(0, f"arXiv id {paper_id}")
        result.arxiv_id, result.text = paper_id, ""
    if result.text:
        result.readings.insert(0, f"text “{_QUOTED.sub(r'‘\1’', result.text)}”")
        papers = _rank_candidates(papers, result)
        papers = papers.annotate(
            relevance=SearchRank(F("search_vector"), result.query, cover_density=True)
            + SearchRank(F("search_vector"), result.query)
            # A pasted title names one paper, above any that merely share its words.
            + Case(
                When(title_key=title_key(result.text), then=Value(EXACT_TITLE)),
                default=Value(0.0),
                output_field=FloatField(),
            )
        )
    elif result.excluding:
        papers = _excluding_within(papers, result)
    elif len(result.readings) == 1 and last_filter[0] in OWN_ROWS:
        result.counted = count_matches(OWN_ROWS[last_filter[0]](last_filter[1], scope), "paper_id")
    result.sort = _sort(sort, result)
    result.papers = _ordered(papers, result.sort)
    return result


# How long filters alone may be counted when one of them leaves papers out
# (`-year:2026`). No index lists the papers a filter leaves: PostgreSQL
# reads the papers in turn and checks each, which is quick where many are
# left, and reads every paper where few or none are. At a million papers
# all listed in 2026, `-year:2026` took 1.8 s to find the 51 others, and
# `-listing:latest` 0.6 s. The page then says that the search stopped and
# offers to check every paper, as for a phrase. Beside words, where a
# filter leaves papers out, the titles holding them are given up after
# INDEX_BUDGET_MS: each was checked against the filter (`model -year:2026`
# 1.9 s, `learning -listing:latest` 1.4 s).
EXCLUDING_BUDGET_MS = 100


def _excluding_within(papers: QuerySet, result: Search) -> QuerySet:
    """Filters alone, one of which leaves papers out, counted within EXCLUDING_BUDGET_MS.

    The count is the page's (`result.counted`); past the budget, no paper,
    and `result.stopped`.
    """
    budget = EVERY_PAPER_BUDGET_MS if result.every else EXCLUDING_BUDGET_MS
    with unless_cancelled(), statement_timeout(budget):
        result.counted = count_matches(papers)
        return papers
    result.stopped = result.filters_stopped = True
    result.counted = (0, "{}")
    return papers.none()


def _dangling_or_taken_out(words: list[str]) -> bool:
    """Take out each `or` at either end of the words (one between filters); whether any was."""
    before = len(words)
    while words and words[-1].lower() == "or":
        words.pop()
    while words and words[0].lower() == "or":
        words.pop(0)
    return len(words) < before


# The start of an address of an arXiv paper's page or PDF.
_ARXIV_ADDRESS = re.compile(r"(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/", re.I)


def _arxiv_reference(text: str) -> str | None:
    """The arXiv id a query is, as typed (`2503.11731`, `arXiv:2503.11731v2`) or as an address.

    Ids are not words of the search index: such a query finds the paper by its id.
    """
    address = _ARXIV_ADDRESS.match(text)
    if address:
        text = text[address.end() :].removesuffix("/").removesuffix(".pdf")
    return arxiv_id(text, spreadsheets=False) if text and " " not in text else None


def _is_filter(token: str) -> bool:
    return bool((match := _FILTER.match(token)) and match["name"] in FILTERS)


def _not_a_filter(token: str) -> str:
    """What to tell the reader of a word written as a filter Papershelf does not have.

    `tags:x` or `sort:title` would otherwise be searched as text without a
    word of why nothing matches. An address (`https://...`) and an arXiv id
    (`arxiv:2503.11731`) are not filters gone wrong.
    """
    match = _FILTER.match(token)
    if match is None or match["name"] == "arxiv" or match["value"].startswith("/"):
        return ""
    if match["name"] == "sort":
        return (
            f"“{token}”: the order is chosen in the menu beside the search box,"
            " so it was searched as text"
        )
    unknown = f"“{token}”: there is no “{match['name']}:” filter"
    if close := get_close_matches(match["name"], FILTERS, n=1, cutoff=0.7):
        meant = f"{match['negated']}{close[0]}:{match['value']}"
        return f"{unknown} (did you mean “{meant}”?), so it was searched as text"
    names = get_text_list([f"{name}:" for name in FILTERS], "and")
    return f"{unknown}, so it was searched as text; the filters are {names}"


RANK_CANDIDATES = 150
# Title matches ranked beside them: the likely known items.
TITLE_MATCHES = 250
# A word websearch_to_tsquery reads as "not" (erring towards "maybe").
_EXCLUSION = re.compile(r"(?:^|\s)-")
# Added to the relevance of a paper whose title is the query: more than any rank.
EXACT_TITLE = 10.0


def _rank_candidates(filtered: QuerySet, result: Search) -> QuerySet:
    """The papers worth ranking, when too many match to rank them all quickly.

    Ranking reads every matching vector, which for a common word means most of
    the corpus. Up to RANK_CANDIDATES matches are ranked in full; above that,
    only the papers whose titles match (up to TITLE_MATCHES: the likely known
    items, where a pasted title or its rarer words have few; fewer for words
    common in titles, see COMMON_TITLE_MATCHES) and
    RANK_CANDIDATES other matches, in no order the index does not give for
    free; `result.ranked_subset` tells the page to say so. Each is one
    statement fetching ids, none sorts the matches: for a common word that is
    the difference between reading a few hundred rows and most of the table.
    Every candidate is read to be ranked, and the other matches are a sample
    in the table's order, not the best: 150 of them rather than 250 took
    12-14 ms off `diffusion -image` at a million papers, 2-5 off common words.
    A query with a phrase is answered within PHRASE_BUDGET_MS, unless the
    search is to check every paper (`result.every`).
    """
    if filtered.query.is_empty():
        # A filter that matches nothing by construction (a listing that does
        # not exist): there is no statement to ask.
        return filtered
    if _EXCLUSION.search(result.text) and (excluded := _excluded_and_wanted(result.text)):
        result.problems.append(
            f"“-{excluded}” excludes a word the query also asks for (a word's forms, like "
            "“image” and “images”, are searched as one), so no paper can match"
        )
        return filtered.none()
    one_by_one = _among_few(filtered)
    # Among a filter's few papers each is read whatever the words: no need to ask how common.
    words = SearchedWords([], [], 0.0) if one_by_one else _searched_words(result.text)
    if words.ignored and not words.groups and not _EXCLUSION.search(result.text):
        # The query is empty once they are left out: no paper can match, and
        # PostgreSQL would read every paper to find that out.
        result.problems.append(
            f"{get_text_list([f'“{word}”' for word in words.ignored], 'and')} "
            f"{'is' if len(words.ignored) == 1 else 'are'} too common "
            "to search for: add a word that says what the papers are about"
        )
        result.only_common_words = True
        return filtered.none()
    query = _match_query(result)
    if looked_up := _looked_up_words(result.text, words):
        # The rarest words find the candidates; each is checked for the whole query.
        candidates = filtered.filter(search_vector=SearchQuery(looked_up, config="english"))
        matching = candidates.filter(
            Func(F("search_vector"), query, function="ts_match_vq", output_field=BooleanField())
        )
    else:
        matching = filtered.filter(search_vector=query)
    # Title matches come from the title's own index alone, without the
    # search vector's list of every match; the few found are checked against
    # the whole query below (the abstract may hold an excluded word).
    in_title = filtered.filter(title_vector=query).order_by()
    named = filtered.filter(title_key=title_key(result.text)).order_by()
    titles = None
    budgeted = _has_phrase(result.text) and not one_by_one and not result.every
    phrase_budget = PHRASE_BUDGET_MS if budgeted else EVERY_PAPER_BUDGET_MS
    if budgeted and words.density * words.papers > PHRASE_FEW_PAPERS:
        # Within a phrase's budget the titles come first: where its words
        # are common, the abstracts' matches may not all be found in time,
        # and those in titles are the likeliest known items.
        started = time.monotonic()
        common = _common_in_titles(words.groups)
        titles = _title_matches(in_title, named, common, False, PHRASE_TITLE_BUDGET_MS)
        spent = round((time.monotonic() - started) * 1000)
        phrase_budget = max(PHRASE_BUDGET_MS - spent, PHRASE_BUDGET_MS - PHRASE_TITLE_BUDGET_MS)
    some, sampled, stopped = _some_matches(
        matching,
        RANK_CANDIDATES + 1,
        result.text,
        words.density,
        one_by_one,
        result.every,
        phrase_budget,
    )
    if not some and not stopped:
        # Nothing to count, page or count facets over: no statement need ask.
        return filtered.none()
    result.stopped = stopped
    if len(some) <= RANK_CANDIDATES and not sampled and not stopped:
        # Every match, by id: filtering on the vectors again would read each
        # vector once more, for the count and for the page, and the
        # filters would be checked again (a tag's ids parsed again). Only a
        # listing filter stays, for its rank.
        if "rank" in filtered.query.annotations:
            return filtered.filter(pk__any=some)
        return Paper.objects.filter(pk__any=some)
    result.ranked_subset = True
    result.rank_candidates = f"{RANK_CANDIDATES:,}"
    # Fetched as ids: an OR of IN-subqueries cannot use an index and makes
    # PostgreSQL scan the whole table.
    matched = set(some[:RANK_CANDIDATES])
    if titles is None:
        common = not one_by_one and _common_in_titles(words.groups)
        budget = PHRASE_TITLE_BUDGET_MS if budgeted else None
        timeout = None
        if result.excluding:  # see EXCLUDING_BUDGET_MS
            timeout = EVERY_PAPER_BUDGET_MS if result.every else INDEX_BUDGET_MS
        titles = _title_matches(in_title, named, common, one_by_one, budget, timeout)
    by_title = set(titles) - matched
    if by_title and _EXCLUSION.search(result.text):
        # A title that matches may have an excluded word in its abstract.
        # Without one, a title that matches makes the whole paper match.
        # Only these are checked: the others matched the whole query already,
        # and checking all of them again, for the count and for the page,
        # read ~500 vectors twice (13 ms for `diffusion -image` at a million).
        by_title = set(
            Paper.objects.filter(pk__any=by_title, search_vector=query).values_list("pk", flat=True)
        )
    return Paper.objects.filter(pk__any=matched | by_title)


# What websearch_to_tsquery makes of the query, and of each word it excludes.
_QUERY_AND_EXCLUSIONS = """SELECT websearch_to_tsquery('english', %s)::text,
    array(SELECT plainto_tsquery('english', word)::text FROM unnest(%s::text[]) word)"""


def _excluded_and_wanted(text: str) -> str:
    """An excluded word the query also asks for (`image -images`), as typed; "" if none.

    Such a query matches nothing, and PostgreSQL cannot tell before reading
    every paper: `learning -learning` scanned for its budget (100 ms) at a
    million papers, then read the search index. Only a query of words all
    required (no `or`) is looked at.
    """
    excluded = [token.removeprefix("-") for token in _TOKEN.findall(text) if token.startswith("-")]
    with connection.cursor() as cursor:
        cursor.execute(_QUERY_AND_EXCLUSIONS, [text, excluded])
        query, lexemes = cursor.fetchone()
    if "|" in query:
        return ""
    wanted = {term for term in query.split(" & ") if not term.startswith("!")}
    for word, lexeme in zip(excluded, lexemes, strict=True):
        if lexeme and " " not in lexeme and lexeme in wanted:
            return word
    return ""


# A hyphenated word outside a quoted phrase (`zero-shot`, `-self-supervised`).
_HYPHENATED = re.compile(r"[^\W_]+(?:-[^\W_]+)+")
# Each hyphenated word's phrase, replaced by the whole word's own lexeme.
_HYPHENS_AS_WORDS = """ts_rewrite({query}, phraseto_tsquery('english', %s), coalesce(
    (SELECT quote_literal(lexemes[1])::tsquery FROM ts_debug('english', %s)
      WHERE alias IN ('asciihword', 'hword', 'numhword')),
    phraseto_tsquery('english', %s)))"""


class ParsedQuery(SearchQuery):
    """A tsquery given as its text, taken as it is: no parser, no stemming."""

    template = "%(expressions)s::tsquery"


def _match_query(result: Search) -> SearchQuery:
    """The query the papers are found by: `result.query`, hyphenated words as one lexeme.

    PostgreSQL's parser reads `zero-shot` as the phrase of the whole word
    and its parts (`'zero-shot' <-> 'zero' <-> 'shot'`), whose matches it
    must then read for their positions, where the whole word's lexeme
    alone finds the same papers (a paper holding it holds the parts right
    after it, the same parser having read both): `zero-shot` 23 -> 12 ms at
    a million papers. A word inside a quoted phrase stays as it is: there
    its parts set the distance to the next word. Ranking and snippets keep
    `result.query` (a snippet marks the parts, not the whole word).
    """
    words = [
        word
        for token in _TOKEN.findall(result.text)
        if not token.startswith('"')
        for word in _HYPHENATED.findall(token)
    ]
    if not words:
        return result.query
    sql, params = "websearch_to_tsquery('english', %s)", [result.text]
    for word in dict.fromkeys(words):
        sql, params = _HYPHENS_AS_WORDS.format(query=sql), [*params, word, word, word]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT ({sql})::text", params)
        (rewritten,) = cursor.fetchone()
    return ParsedQuery(rewritten)


@BigAutoField.register_lookup
class AnyOf(Lookup):
    """`pk__any=ids`: `id = ANY(array)`, the ids as one array parameter.

    With `pk__in`, each id is a placeholder of its own, and psycopg parses
    such a statement anew every time it runs: 2 ms for 500 ids, for each of
    the count and the page. The index answers ANY in one sorted pass.
    The ids go as the array's text (`{1,2,3}`, which the server may have
    written already): psycopg dumps a list of numbers one by one, 0.5 ms
    for 400 of them, each time a statement runs.
    """

    lookup_name = "any"
    prepare_rhs = False

    def __init__(self, lhs, rhs):
        if isinstance(rhs, list | tuple | set | frozenset):
            rhs = "{" + ",".join(str(int(pk)) for pk in rhs) + "}"
        super().__init__(lhs, rhs)

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", (*lhs_params, *rhs_params)


@BigAutoField.register_lookup
class AmongIds(AnyOf):
    """`pk__among=ids`: the rows of these ids, each looked up: `id IN (SELECT unnest(array))`.

    For a page sorted among a few ids in an order an index holds (newest
    first: `last_listed`, `id`). With `id = ANY(array)` PostgreSQL may read
    that index whole, testing each entry's id against the array: 5.7 ms
    for the 500 papers of a tag at 100,000 papers, 1.8 ms looked up one by
    one. The array's rows are as many as its ids to the planner.
    """

    lookup_name = "among"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} IN (SELECT unnest({rhs}::bigint[]))", (*lhs_params, *rhs_params)


# How long the table may be scanned for a query's matches before the search
# index is asked instead.
SCAN_BUDGET_MS = 100
# A word that is not excluded (nor `or`): what the index can look up.
_WANTED_WORD = re.compile(r'(?:^|\s)(?!-|or(?:\s|$))["\w]', re.IGNORECASE)

# Titles holding words that are each common: PostgreSQL takes such words to
# be rare together, and lists every matching title from the titles' index
# before it returns the first (`large language models`: 65,570 titles, 35-51
# ms at a million), where reading the table in its order finds 250 in 5-9
# ms. The scan has COMMON_SCAN_BUDGET_MS; then the index answers. It is
# tried for up to COMMON_TITLE_WORDS words: a title is short, and four
# common words ran out of time. Such titles number in the thousands, and
# the scan stops at COMMON_TITLE_MATCHES of them, a sample either way:
# reading 100 rather than 250 took 3-6 ms off `attention`, `data` or
# `optimization` (2-5% of titles) at a million papers, for the same kind of
# candidates. The index's answer costs the same for any limit, and keeps
# TITLE_MATCHES for the titles of rarer words, the known items.
COMMON_TITLE_WORDS = 3
COMMON_SCAN_BUDGET_MS = 30
COMMON_TITLE_MATCHES = 100

# Titles are read from the table when that is quicker by the planner's
# estimate of how many titles hold the query's words (ANALYZE keeps the
# commonest words of a tsvector column with their frequencies; the words'
# shares are combined as a query's related words, see `_together`). The
# scan for COMMON_TITLE_MATCHES of them reads about COMMON_TITLE_MATCHES /
# share rows, the index lists all `titles` of them, and a row read costs
# about as much as TITLE_SCAN_ROW_COST titles listed: the scan pays from
# `titles * share` of COMMON_TITLE_MATCHES * TITLE_SCAN_ROW_COST on, 1.7% of
# the titles at a million papers, 5.5% at 100,000. Alternating both for 15
# words at a million, the word's share of the papers (`_searched_words`)
# chose the slower of the two for 8 (`transformer`, 3.0% of titles: 37.0 ms
# by the index against 31.2 by the table; `inference`, 1.4%: 37.9 by the
# table against 33.7), this rule for 1, by 3.7 ms (`reinforcement`, 2.1%).
# Timing both for 19 queries of one to six words, it picked the quicker (or
# a tie) for 18; the shares multiplied had sent `vision language model`
# (2.7% of titles) to the index: 12.6 ms, against 2.9 by the table.
TITLE_SCAN_ROW_COST = 3
# A word of a query as the vocabulary counts it: letters and digits.
_WORD = re.compile(r"[^\W_]+")


def _common_in_titles(groups: list[set[str]]) -> bool:
    """Whether the titles holding these words are better read from the table.

    `groups` are the words the search index looks up (see `_searched_words`).
    """
    if not groups or max(len(group) for group in groups) > COMMON_TITLE_WORDS:
        return False
    words = sorted(set().union(*groups))
    # The planner's estimates of the titles holding each word and of all
    # papers, from one plan: each part of the UNION is a node of its own.
    each_word = (
        f"SELECT 1 FROM {Paper._meta.db_table} "
        "WHERE title_vector @@ websearch_to_tsquery('english', %s) UNION ALL "
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"EXPLAIN (FORMAT JSON) {each_word * len(words)}SELECT 1 FROM {Paper._meta.db_table}",
            words,
        )
        (plan,) = cursor.fetchone()  # psycopg reads the JSON plan into lists and dicts
    *word_titles, papers = (part["Plan Rows"] for part in plan[0]["Plan"]["Plans"])
    if papers <= 0:
        return False
    share = {word: titles / papers for word, titles in zip(words, word_titles, strict=True)}
    titles = papers * _share_of_any(groups, share)
    return titles * titles / papers >= COMMON_TITLE_MATCHES * TITLE_SCAN_ROW_COST


def _title_matches(
    in_title: QuerySet,
    named: QuerySet,
    common: bool,
    one_by_one: bool,
    budget: int | None,
    timeout: int | None = None,
) -> list[int]:
    """The ids of up to TITLE_MATCHES papers whose titles match, and of `named`, in no order.

    `named` are the papers whose title is the query (a pasted title), read in
    the same statement, first. `common` says the titles are many (see
    `_common_in_titles`); `one_by_one` that a filter gave few papers' ids
    (see `_among_few`). With a `budget` (a phrase's, see
    PHRASE_TITLE_BUDGET_MS), the titles are those found within it; with a
    `timeout` (see EXCLUDING_BUDGET_MS), none are past it.
    """

    def first(limit: int, **settings: str) -> list[int]:
        ids = named.values_list("pk", flat=True).union(
            in_title.values_list("pk", flat=True)[:limit], all=True
        )
        if budget is None:
            return list(ids)
        sql, params = ids.query.sql_with_params()
        return [pk for (pk,) in _read_within(sql, params, budget, **settings)[0]]

    if one_by_one:
        with local_settings({"enable_bitmapscan": "off"}):
            return first(TITLE_MATCHES)
    if common and budget is not None:
        return first(COMMON_TITLE_MATCHES, enable_bitmapscan="off")
    if common:
        with unless_cancelled(), statement_timeout(COMMON_SCAN_BUDGET_MS, enable_bitmapscan="off"):
            return first(COMMON_TITLE_MATCHES)
    if timeout is None:
        return first(TITLE_MATCHES)
    with unless_cancelled(), statement_timeout(timeout):
        return first(TITLE_MATCHES)
    return []


class SearchedWords(NamedTuple):
    """The words of a query the search index looks up, and how common they are."""

    # In the groups `or` joins (see `_wanted_groups`), without the ignored.
    groups: list[set[str]]
    # The words the index leaves out, English stop words (`the`, `of`), in order.
    ignored: list[str]
    # The share of papers expected to hold the words.
    density: float
    # Each word's share of the papers (0 where the vocabulary lacks it), and how many there are.
    shares: dict[str, float] = {}
    papers: float = 0.0


# Each word: the stems the search index looks it up by (none for a stop
# word), how many papers the vocabulary counts, the planner's count of
# papers, and when the papers were last analyzed (see `_common_stems`).
_WORDS_SQL = """SELECT word, tsvector_to_array(to_tsvector('english', word)), term.ndoc,
    (SELECT reltuples FROM pg_class WHERE oid = %(papers)s::regclass),
    greatest(pg_stat_get_last_analyze_time(%(papers)s::regclass),
             pg_stat_get_last_autoanalyze_time(%(papers)s::regclass))
  FROM unnest(%(words)s::text[]) AS word LEFT JOIN {terms} AS term USING (word)"""

# The stems ANALYZE found commonest in the search vectors (a thousand), with
# the share of papers holding each; three figures follow them in the shares.
_COMMON_STEMS_SQL = """SELECT element.stem, element.share
  FROM pg_stats AS stats,
       unnest(stats.most_common_elems::text::text[], stats.most_common_elem_freqs)
         AS element (stem, share)
 WHERE stats.schemaname = current_schema() AND stats.tablename = %s
   AND stats.attname = 'search_vector' AND element.stem IS NOT NULL"""


@lru_cache(maxsize=1)
def _common_stems(analyzed: datetime) -> dict[str, float]:
    """The commonest stems of the papers as of the ANALYZE at `analyzed`, and their shares.

    Read once a process until the next ANALYZE: pg_stats costs a
    millisecond a search.
    """
    with connection.cursor() as cursor:
        cursor.execute(_COMMON_STEMS_SQL, [Paper._meta.db_table])
        return dict(cursor.fetchall())


def _searched_words(text: str) -> SearchedWords:
    """The words of the query the search index looks up, and the share of papers holding them.

    English stop words are left out, as the index leaves them out: `of
    learning` was expected as rare as a word the vocabulary has not seen
    (0, `of` being too short to count), and its matches were looked for in
    the search index's sample first (39 ms at a million papers on a slow
    machine, where the table gives those of `learning` in 15). A stop word
    inside a hyphenated word stays: the index looks the whole word up
    (`in-context`, see `_match_query`), which is rarer than its parts. The
    share is 0 when a word is not in the vocabulary (a typo, a word few
    papers use, or one it does not count, like `3d`). The index matches
    stems: a word takes its stem's share where ANALYZE found that larger.
    `tokenizer` finds every paper with `token` (a fifth of them at a
    million), not the few the vocabulary counts with `tokenizer`; taken
    for rare, it was looked for in the index's sample first, which listed
    21,000 of them for 151 (26 ms in-process, against 10 for `model`).
    The number of papers is the planner's estimate, kept by ANALYZE.
    """
    groups = _wanted_groups(text)
    if not groups:
        return SearchedWords([], [], 0.0)
    words = sorted(set().union(*groups))
    with connection.cursor() as cursor:
        cursor.execute(
            _WORDS_SQL.format(terms=SearchTerm._meta.db_table),
            {"papers": Paper._meta.db_table, "words": words},
        )
        rows = cursor.fetchall()
    in_hyphenated = {
        part for word in _HYPHENATED.findall(text.lower()) for part in _WORD.findall(word)
    }
    ignored = {word for word, stems, *_ in rows if not stems} - in_hyphenated
    groups = [searched for group in groups if (searched := group - ignored)]
    in_order = [word for word in dict.fromkeys(_WORD.findall(text.lower())) if word in ignored]
    _, _, _, papers, analyzed = rows[0]
    if not groups or papers <= 0:  # never analyzed: -1
        return SearchedWords(groups, in_order, 0.0)
    common = _common_stems(analyzed) if analyzed else {}
    share = {
        word: max([min((count or 0) / papers, 1.0), *(common.get(stem, 0.0) for stem in stems)])
        for word, stems, count, _, _ in rows
    }
    return SearchedWords(groups, in_order, _share_of_any(groups, share), share, papers)


def _wanted_groups(text: str) -> list[set[str]]:
    """The words a query wants, in the groups `or` joins.

    `diffusion or flow matching` wants `diffusion`, or `flow` and `matching`
    (AND binds tighter, as in websearch_to_tsquery). Excluded words are left
    out, and inside a phrase `or` is one of its words.
    """
    groups: list[set[str]] = [set()]
    for token in _TOKEN.findall(text.lower()):
        if token == "or":
            groups.append(set())
        elif not token.startswith("-"):
            groups[-1].update(_WORD.findall(token))
    return [group for group in groups if group]


def wanted_words(text: str) -> set[str]:
    """The words a query's matches hold: all but the excluded ones (`-word`) and `or`."""
    return set().union(*_wanted_groups(text))


def _share_of_any(groups: list[set[str]], share: dict[str, float]) -> float:
    """The share of papers (or titles) holding every word of at least one group.

    Read as one group, an `or` of two common words looked rare: the sample
    was asked before the table, and the titles' index listed 56,000 titles
    of `diffusion or flow` at a million papers (17 ms) where the table's
    first rows hold 250.
    """
    return 1 - math.prod(1 - _together([share[word] for word in group]) for group in groups)


# How often a query's words go together: past the rarest, each word keeps
# this power of its share. Words typed together are related, and their
# shares multiplied, as if unrelated, expected `vision language model` in
# 8% of papers and 0.2% of titles at a million, where 17% and 2.7% hold
# it: the search index's sample was read where the table was quicker
# (6.9 ms against 2.1), and every title listed from the index. Over the
# 35 queries of two to six words of the benchmarks' mixes, the product was
# 8x too low on average and the rarest word's share alone 3.5x too high;
# with this power, 1.1x too high (typically 1.8x off) for the papers; for
# the titles of the 17 in over 0.1% of them, from the planner's estimate of
# each word, 1.0x (2x off).
RELATED_WORDS = 1 / 3


def _together(shares: list[float]) -> float:
    """The share expected to hold all the words of these shares, words of one query."""
    rarest, *others = sorted(shares)
    return rarest * math.prod(other**RELATED_WORDS for other in others)


# The papers the index lists for the rarest words of a query of plain words
# are enough to check against the whole query once they are expected to be
# this few. The index lists every paper holding each word before it gives
# the first match: a sentence pasted in, `we propose a novel framework for
# large language model alignment using reinforcement learning from human
# feedback`, listed 5.6 million papers for its 13 words at a million papers
# (44 ms); its four rarest list 560,000 and the 13,000 papers holding them
# are checked against the whole query in 13 ms. Only where the rarest word
# has LOOKED_UP_FROM papers or more: with fewer, the index skips through the
# others' lists from one of its papers to the next, and the whole query is
# quicker to look up (`why do transformers fail at arithmetic`, "arithmetic"
# in 6,000 papers: 11 ms, from its rarest word alone 16-20).
LOOKED_UP_CANDIDATES = 10_000
LOOKED_UP_FROM = 30_000


def _looked_up_words(text: str, words: SearchedWords) -> str:
    """The rarest words of a query of plain words that find few enough papers to check; "" if all.

    Only for words that are all wanted (no `or`, exclusion, phrase or
    hyphenated word, which read positions or other papers) and that the
    vocabulary counts: one it lacks may be a typo or a word it does not
    count (`3d`), as rare as common.
    """
    if len(words.groups) != 1 or len(words.groups[0]) < 2 or _NOT_PLAIN.search(text):
        return ""
    shares = {word: words.shares.get(word, 0.0) for word in words.groups[0]}
    if not all(shares.values()):
        return ""
    by_rarity = sorted(shares, key=lambda word: (shares[word], word))
    if shares[by_rarity[0]] * words.papers < LOOKED_UP_FROM:
        return ""
    for kept in range(1, len(by_rarity)):
        if _together([shares[word] for word in by_rarity[:kept]]) * words.papers <= (
            LOOKED_UP_CANDIDATES
        ):
            return " ".join(by_rarity[:kept])
    return ""


# A phrase, an exclusion or a hyphenated word.
_NOT_PLAIN = re.compile(r'["-]')


# Below this expected density (see _searched_words) a query's first
# matches are looked for in the search index's sample first.
SAMPLE_DENSITY = 0.1


def _among_few(papers: QuerySet) -> bool:
    """Whether a filter gave the papers as FEW_PAPERS ids or fewer (see `_few_papers`).

    The search index then lists every paper holding the query's words to
    intersect them with the ids, and the index of ids probes each of them:
    `"graph neural network" tag:benchmark` (5,000 papers) at a million
    papers, 13 ms for the first and 7 for the second. Read one by one, each
    paper's vector checked, they take 2-3 microseconds each, at most 30 ms
    for FEW_PAPERS whatever the words (`"language models"`: 565,000 papers
    in its index). The index's sample, with a tenth of them, rarely holds
    as many matches as a search asks for, and is not read first.
    """
    return any(isinstance(condition, AnyOf) for condition in papers.query.where.children)


class SomeMatches(NamedTuple):
    ids: list[int]
    # The ids are the index sample's matches, and more papers match than they.
    sampled: bool = False
    # The ids are the matches found within a budget, and more papers may
    # match (see _read_within).
    stopped: bool = False


def _some_matches(
    matching: QuerySet,
    limit: int,
    text: str,
    density: float,
    one_by_one: bool,
    every: bool,
    phrase_budget: int,
) -> SomeMatches:
    """The ids of up to `limit` matching papers, in no order.

    PostgreSQL reads the table in its order until enough papers match, which
    is quick when many do, wherever they are. Where fewer do, it reads the
    search index, which lists every matching paper before the first comes
    out: tens of thousands for `"knowledge distillation"`, `deep learning`
    or `vision language model hallucination` (14-34 ms at a million
    papers). When the query's words are not expected in one paper in ten
    (`density`; 0 when not known), its matches are looked for among the
    papers of the index's sample (IN_SEARCH_SAMPLE) first, whose index
    lists a tenth of them (1.6-3 ms); only if the sample holds too few to
    tell that more than `limit` match (see SAMPLE_ENOUGH) are all papers
    asked. A common word's papers come quicker from
    the table: `model` 0.2 ms, from the sample's index 25 ms. Common words
    are read from the table even where PostgreSQL, taking them for
    unrelated, would list all their papers from the search index first
    (`semantic segmentation`, 8% of the papers: 21 ms, from the table 3.9).

    PostgreSQL expects matches spread evenly: where they are not, the scan
    reads far more than it expected. With an excluded word it cannot tell how
    few match (`image -images`, no paper, read every paper: 2.6 s at a
    million), and a word of recent papers (one in the newest 3%, read from
    the oldest: 0.4-0.8 s) has its matches at the end of the table. Past
    SCAN_BUDGET_MS the search index answers instead: it reads the lists of
    papers of the words wanted and excluded (20-40 ms at a million, whatever
    the result), which is slower than the scan when many papers match, so
    it comes second. A query of excluded words only has nothing the index
    could look up. Among a filter's few papers (`one_by_one`, see
    `_among_few`) each is read and checked, in at most FEW_PAPERS steps.
    A phrase's matches are looked for within `phrase_budget` (see
    `_phrase_matches`). With `every`, the search index's budget is
    EVERY_PAPER_BUDGET_MS.
    """
    ids = matching.order_by().values_list("pk", flat=True)
    if one_by_one:
        with local_settings({"enable_bitmapscan": "off"}):
            return SomeMatches(list(ids[:limit]))
    if not _WANTED_WORD.search(text):
        return SomeMatches(list(ids[:limit]))
    if _has_phrase(text):
        from_table = density >= SAMPLE_DENSITY and not every
        return _phrase_matches(ids, limit, from_table, phrase_budget)
    with unless_cancelled():
        if density < SAMPLE_DENSITY:
            with statement_timeout(SCAN_BUDGET_MS):
                return _sample_first(ids, limit)
        with statement_timeout(SCAN_BUDGET_MS, enable_bitmapscan="off"):
            return SomeMatches(list(ids[:limit]))
    sql, params = ids[:limit].query.sql_with_params()
    budget = EVERY_PAPER_BUDGET_MS if every else INDEX_BUDGET_MS
    rows, read_all = _read_within(sql, params, budget, enable_seqscan="off")
    return SomeMatches([pk for (pk,) in rows], stopped=not read_all)


# How long the search index's answer may take once a scan ran past its
# budget; the matches found by then are the search's. The index lists
# every paper holding the query's words, and each is read from the table
# to be checked against the whole query. For a phrase of common words that
# is most of the cost: 52,000 papers at a million hold the words of
# `"large language model for code generation"`, 63 the phrase, and reading
# all of them took 265 ms.
INDEX_BUDGET_MS = 60
# The budgets of a search that is to check every paper (the page's "check
# every paper"): what a reader who asked for it waits at most.
EVERY_PAPER_BUDGET_MS = 5_000
# Rows fetched first from a statement read within a budget; each fetch
# after asks for twice as many. A fetch cancelled at the deadline gives
# none of its rows: the first are few, for where matches are rare, and
# where they are many a few fetches read them (151 fetched sixteen at a
# time took 11 ms of round trips).
BUDGETED_READ = 16


def _read_within(
    sql: str, params: tuple, milliseconds: int, **settings: str
) -> tuple[list[tuple], bool]:
    """The rows of a statement that come within `milliseconds`, and whether they are all of them.

    They are read from a cursor, BUDGETED_READ first, twice as many at each
    fetch after, each fetch cancelled when the budget runs out; the rows
    fetched before then are kept. `settings` hold for the statement. The
    cursor is planned for all its rows (PostgreSQL plans a cursor for its
    first tenth otherwise).
    """
    rows: list[tuple] = []
    deadline = time.monotonic() + milliseconds / 1000
    read_all = False
    size = BUDGETED_READ
    limits = {"statement_timeout": f"{max(1, milliseconds)}ms", "cursor_tuple_fraction": "1"}
    with unless_cancelled(), local_settings(limits | settings), connection.cursor() as cursor:
        cursor.execute(f"DECLARE budgeted NO SCROLL CURSOR FOR {sql}", params)
        while not read_all and (left := deadline - time.monotonic()) > 0:
            # Sent with the fetch: a fetch started near the deadline
            # may not take the whole budget again.
            cursor.execute(
                f"SET LOCAL statement_timeout = {max(1, round(left * 1000))};"
                f"FETCH {size} FROM budgeted"
            )
            cursor.nextset()
            fetched = cursor.fetchall()
            rows.extend(fetched)
            read_all = len(fetched) < size
            size *= 2
        # Within a savepoint the cursor would outlive the block.
        cursor.execute("CLOSE budgeted")
    return rows, read_all


# How long a phrase's matches may be looked for. A phrase's matches are
# the papers that hold its words at its positions: the search index finds
# the papers holding the words, and each is read from the table to check
# the positions, 1.5-8 microseconds a paper (from PostgreSQL's buffers or
# from the system's). When the words are common together and the phrase
# rare, the papers to check are tens of thousands: at a million papers,
# `"attention is all you need"` 17,946 of them for 158 matches (40-150 ms),
# `"large language model for code generation"` 52,184 for 63 (220-510 ms,
# 75 of them listing the papers from the index). No index of PostgreSQL's
# holds positions; the page then shows what was found within the budget
# (the titles holding the phrase first, where many papers hold its words,
# see `_rank_candidates`) and offers to check every paper.
PHRASE_BUDGET_MS = 25
# Of which the titles holding the phrase may take this much (they are
# looked for first, see `_rank_candidates`).
PHRASE_TITLE_BUDGET_MS = 20
# Where no more papers than this are expected to hold a phrase's words,
# they are checked before the titles are looked for: in 3-10 ms, every
# match is found, and no title need be (taking the titles first cost
# `"graph neural networks for recommendation"`, 1,300 papers expected,
# 12% of its page at a million papers).
PHRASE_FEW_PAPERS = 5_000


def _has_phrase(text: str) -> bool:
    """Whether a query asks for a quoted phrase of two words or more (a quoted word is a word)."""
    return any(
        token.startswith('"') and len(_WORD.findall(token)) > 1 for token in _TOKEN.findall(text)
    )


def _phrase_matches(ids: QuerySet, limit: int, from_table: bool, budget: int) -> SomeMatches:
    """Up to `limit` of the matches of a query with a phrase, those found within `budget` ms.

    As other queries', from the table's first papers when the words are
    common (`from_table`), from the index's sample first otherwise.
    """
    if from_table:
        sql, params = ids[:limit].query.sql_with_params()
        rows, read_all = _read_within(sql, params, budget, enable_bitmapscan="off")
        return SomeMatches([pk for (pk,) in rows], stopped=not read_all)
    sql, params = _sample_first_sql(ids, limit)
    rows, read_all = _read_within(sql, params, budget)
    if read_all:
        return _from_sample_first(rows, limit)
    # The sample's matches and the first others; a paper may be in both.
    return SomeMatches(list(dict.fromkeys(pk for pk, _ in rows)), stopped=True)


# The sample's matches, and only when they are too few, every paper's.
# Whether to look further is decided in the statement (a condition on the
# sample's count, which PostgreSQL checks before reading anything for the
# second part), so that a search issues as many statements however many
# papers there are.
_SAMPLE_FIRST = """WITH sampled AS ({sampled})
SELECT id, true FROM sampled AS sampled (id)
UNION ALL
SELECT id, false FROM ({every}) AS every (id) WHERE (SELECT count(*) FROM sampled) < %s"""


# The sample holds one paper in SEARCH_SAMPLE_EVERY: when its matches,
# counted that many times over, are twice the papers a search asks for,
# more than those match, and the sample's are as good a choice as the
# table's first ones (either is a sample). Reading the table for the
# others lists every paper holding the words and checks each: at a million
# papers `"learning to rank"`, whose words are together in 30,000 papers
# and the phrase in one of 58 of them, took 45 ms, 20 from the 54 of the
# sample; a query of eight words 38 ms, 13 from the sample's 54.
SAMPLE_ENOUGH = 2


def _sample_first(ids: QuerySet, limit: int) -> SomeMatches:
    """Up to `limit` of `ids`, from the search index's sample if it tells that more match."""
    sql, params = _sample_first_sql(ids, limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return _from_sample_first(cursor.fetchall(), limit)


def _sample_first_sql(ids: QuerySet, limit: int) -> tuple[str, list]:
    sampled, sampled_params = ids.filter(IN_SEARCH_SAMPLE)[:limit].query.sql_with_params()
    every, every_params = ids[:limit].query.sql_with_params()
    return _SAMPLE_FIRST.format(sampled=sampled, every=every), [
        *sampled_params,
        *every_params,
        _sample_enough(limit),
    ]


def _sample_enough(limit: int) -> int:
    return math.ceil(SAMPLE_ENOUGH * limit / SEARCH_SAMPLE_EVERY)


def _from_sample_first(rows: list[tuple[int, bool]], limit: int) -> SomeMatches:
    """The matches of the whole _SAMPLE_FIRST statement's rows."""
    in_sample = [pk for pk, from_sample in rows if from_sample]
    if len(in_sample) >= _sample_enough(limit):
        return SomeMatches(in_sample, sampled=True)
    return SomeMatches([pk for pk, from_sample in rows if not from_sample])


def _sort(wanted: str, result: Search) -> str:
    if wanted in SORTS and (wanted != "relevance" or result.text):
        return wanted
    if result.text:
        return "relevance"
    return "rank" if result.listing_filter else "newest"


def _ordered(papers: QuerySet, sort: str) -> QuerySet:
    in_one_listing = "rank" in papers.query.annotations
    if not in_one_listing:
        # Without a listing filter, a paper's rank is the one in its newest listing.
        latest_entry = ListingEntry.objects.filter(paper=OuterRef("pk")).order_by(
            "-listing__date", "-listing__imported_at"
        )
        papers = papers.annotate(rank=Subquery(latest_entry.values("rank")[:1]))
    if sort == "relevance":
        return papers.order_by("-relevance", F("last_listed").desc(nulls_last=True), "-pk")
    if sort == "rank" and in_one_listing:
        return papers.order_by("rank", "pk")
    if sort == "rank":
        return papers.order_by(F("last_listed").desc(nulls_last=True), "rank", "pk")
    if sort == "title":
        # By title key (titles with case and punctuation aside), which an
        # index holds in order: by the titles themselves a million papers
        # were sorted for the first page (0.5 s).
        return papers.order_by("title_key", "pk")
    return papers.order_by(F("last_listed").desc(nulls_last=True), "-pk")


SUGGESTION_SIMILARITY = 0.35
CANDIDATE_SIMILARITY = 0.2
CANDIDATES = 20
EDIT_SIMILARITY = 0.75


# The closest known words of each word the vocabulary lacks, in one
# statement: a statement each, in its own block of local settings, cost a
# two-word typo's page six statements and as many round trips. The `%`
# operator is what the vocabulary's trigram index serves, with our
# threshold as the block's setting: a `similarity >= x` filter could not
# use the index.
_CANDIDATE_WORDS_SQL = f"""
SELECT typed.word, candidate.word, candidate.ndoc
  FROM unnest(%(words)s::text[]) AS typed (word)
 CROSS JOIN LATERAL (
       SELECT term.word, term.ndoc FROM {SearchTerm._meta.db_table} term
        WHERE term.word %% typed.word
        ORDER BY similarity(term.word, typed.word) DESC, term.word
        LIMIT %(candidates)s
       ) AS candidate
"""


def did_you_mean(text: str) -> str:
    """The query with each word the index does not know replaced by its closest known word.

    Trigrams find candidates fast; a transposed pair of letters ("nueral")
    shares few trigrams with the right word, so the final choice is by
    edit similarity among them, then by how common the word is.
    """
    # Not a word written as a filter Papershelf lacks (`tags:x`): the page names those.
    words = re.findall(r"[^\W\d_]{3,}", re.sub(r"\S*:\S*", " ", text.lower()))
    known = set(SearchTerm.objects.filter(word__in=words).values_list("word", flat=True))
    unknown = sorted(set(words) - known)
    if not unknown:
        return ""
    scored: dict[str, list[tuple[float, int, str]]] = {}
    with (
        local_settings({"pg_trgm.similarity_threshold": str(CANDIDATE_SIMILARITY)}),
        connection.cursor() as cursor,
    ):
        cursor.execute(_CANDIDATE_WORDS_SQL, {"words": unknown, "candidates": CANDIDATES})
        for word, candidate, ndoc in cursor.fetchall():
            ratio = SequenceMatcher(None, word, candidate).ratio()
            scored.setdefault(word, []).append((ratio, ndoc, candidate))
    corrected = text
    for word, choices in scored.items():
        ratio, _, best = max(choices)
        if ratio >= EDIT_SIMILARITY:
            corrected = re.sub(
                rf"\b{re.escape(word)}\b",
                lambda typed, best=best: _cased_as(typed[0], best),
                corrected,
                flags=re.IGNORECASE,
            )
    return corrected if corrected.lower() != text.lower() else ""


def _cased_as(typed: str, word: str) -> str:
    """`word`, in the vocabulary's lower case, with the capitals of `typed` (a title's, say)."""
    if typed.isupper() and len(typed) > 1:
        return word.upper()
    return word[:1].upper() + word[1:] if typed[:1].isupper() else word


# How long the closest titles may take before the page goes without them.
CLOSEST_TITLES_BUDGET_MS = 50
# How many titles holding the query's words are compared with what was typed.
TITLE_CANDIDATES = 200

# The candidates are read once (`MATERIALIZED`), counted, and compared only
# if they are all the titles holding the words. Comparing is the cost:
# 27 µs a title at a million papers (5 ms of the 12 this took for
# `reinforcment lerning`, whose words 17,600 titles hold).
_CLOSEST_TITLES_SQL = f"""
WITH candidate AS MATERIALIZED (
    SELECT id, title FROM {Paper._meta.db_table}
     WHERE title_vector @@ websearch_to_tsquery('english'::regconfig, %(words)s)
     LIMIT %(candidates)s + 1
)
SELECT id, title FROM (
    SELECT id, title, word_similarity(%(typed)s, title) AS similarity FROM candidate
     WHERE (SELECT count(*) FROM candidate) <= %(candidates)s
) AS compared
 WHERE similarity >= %(least)s
 ORDER BY similarity DESC, id
 LIMIT %(limit)s
"""


def closest_titles(text: str, corrected: str = "", *, limit: int = 3) -> list[Paper]:
    """Papers whose titles look most like the query (trigram similarity): for typos in titles.

    For a query of two words or more: a title is rarely one word, and "did
    you mean" corrects a single word. The candidates are the titles holding
    every word of the query as "did you mean" `corrected` it, found by the
    titles' own index; the ones that look most like what was typed come
    first. Where more than TITLE_CANDIDATES titles hold the words, the
    query names a subject rather than a title, and any few of them would
    be no closer than the rest: there are none, and "did you mean" leads
    to them all. Comparing what was typed with every title instead took
    over a second at a million papers. A suggestion, so it also has a
    time budget: past it the page goes without.

    The papers have their id and title only.
    """
    if len(text.split()) < 2:
        return []
    parameters = {
        "words": corrected or text,
        "typed": text,
        "candidates": TITLE_CANDIDATES,
        "least": SUGGESTION_SIMILARITY,
        "limit": limit,
    }
    with unless_cancelled(), statement_timeout(CLOSEST_TITLES_BUDGET_MS):
        return list(Paper.objects.raw(_CLOSEST_TITLES_SQL, parameters))
    return []


@contextmanager
def local_settings(settings: dict[str, str]) -> Iterator[None]:
    """Server settings for the statements of the block only.

    The block runs in a transaction (or a savepoint) of its own: outside one,
    a local setting would end with the statement that makes it. A
    transaction's end takes its local settings with it; a savepoint that is
    released would keep them until the enclosing transaction ends, so there
    they are restored after. A statement that fails rolls the savepoint, and
    the settings with it, back. Each change is one statement. An
    extension's setting is unknown to a session until the extension's
    library loads, with its first function or operator: read then, it is
    NULL, and restoring NULL resets it.
    """
    names = list(settings)
    in_savepoint = connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        reads_and_sets = ["current_setting(%s, true), set_config(%s, %s, true)"] * len(names)
        cursor.execute(
            "SELECT " + ", ".join(reads_and_sets),
            [part for name in names for part in (name, name, settings[name])],
        )
        before = cursor.fetchone()[::2]
        yield
        if in_savepoint:
            cursor.execute(
                "SELECT " + ", ".join(["set_config(%s, %s, true)"] * len(names)),
                [part for name, value in zip(names, before, strict=True) for part in (name, value)],
            )


def statement_timeout(milliseconds: int, **also: str) -> AbstractContextManager[None]:
    """Cancel a statement of the block that runs longer (an OperationalError).

    `also` are further settings for the block, made in the same statement.
    """
    return local_settings({"statement_timeout": f"{milliseconds}ms", **also})


@contextmanager
def unless_cancelled() -> Iterator[None]:
    """End the block where a statement of it is cancelled (past its `statement_timeout`).

    The code after the block runs: what a search does when its budget has run out.
    """
    try:
        yield
    except OperationalError as error:
        if not isinstance(error.__cause__, QueryCanceled):
            raise


RELATED_TERMS = 6
RELATED_PER_TERM = 25
RELATED_POOL = 24

# The paper's RELATED_TERMS rarest stems, one word each, with the weight of
# sharing it: its inverse document frequency. The vocabulary counts words;
# the index finds stems, and a rare word can have a common stem
# ("choosing": 2,000 papers at a million, its stem "choos" 6,700), whose
# list of papers the index reads whole. A stem's papers are estimated as
# those of the words it begins (Snowball's English stems are prefixes of
# the words, but for a changed ending: "studi"), among the RELATED_POOL
# rarest words of the paper.
RELATED_TERMS_SQL = """
WITH pool AS (
    SELECT word, ndoc FROM papers_searchterm
     WHERE word = ANY(%(words)s) AND ndoc >= 2
     ORDER BY ndoc, word LIMIT %(pool)s
), stemmed AS (
    SELECT DISTINCT ON (stem.lexeme) pool.word, greatest(pool.ndoc, usage.ndoc) AS ndoc
      FROM pool
     CROSS JOIN unnest(tsvector_to_array(to_tsvector('english', pool.word))) AS stem (lexeme)
     CROSS JOIN LATERAL (
           SELECT coalesce(sum(term.ndoc), 0) AS ndoc FROM papers_searchterm term
            WHERE term.word >= stem.lexeme AND term.word < stem.lexeme || chr(1114111)
           ) AS usage
     ORDER BY stem.lexeme, pool.word
)
SELECT word, ln(1 + greatest(papers.count, ndoc) / ndoc), ndoc
  FROM stemmed, (
       -- The planner's estimate: ANALYZE's papers per page, times the pages
       -- the table has now; counted while ANALYZE has seen no papers.
       SELECT CASE WHEN reltuples > 0 AND relpages > 0
                   THEN reltuples / relpages
                        * (pg_relation_size(oid) / current_setting('block_size')::int)
                   ELSE (SELECT count(*) FROM papers_paper) END AS count
         FROM pg_class WHERE oid = 'papers_paper'::regclass
       ) AS papers
 ORDER BY ndoc, word LIMIT %(terms)s
"""

# The candidates are the first RELATED_PER_TERM papers using each term, the
# related ones those sharing the rarest terms (the sum of their weights, as
# far as each term's sample shows), then the ones the index ranks highest
# for any of them. Each one's reason is the terms it uses, as the index
# reads them: a paper that says "harmonize" shares "harmonization" (one
# stem), which the words of its text alone would not show. One statement:
# as three ORM queries the related papers took half of a paper page's time
# at a million papers, composing and sending them as long as running them.
RELATED_SQL = """
WITH candidate AS (
    SELECT id, sum(weight) AS weight FROM ({candidates}) AS sampled GROUP BY id
),
top AS (
    SELECT paper.id, paper.title, paper.search_vector
      FROM candidate JOIN papers_paper paper USING (id)
     ORDER BY candidate.weight DESC,
              ts_rank(paper.search_vector, websearch_to_tsquery('english', %(any)s)) DESC,
              paper.id DESC
     LIMIT %(limit)s
)
SELECT top.id, top.title,
       ARRAY(SELECT term FROM unnest(%(terms)s::text[]) WITH ORDINALITY AS terms (term, position)
              WHERE top.search_vector @@ plainto_tsquery('english', term) ORDER BY position)
  FROM top
"""
RELATED_CANDIDATES_SQL = """(
    SELECT id, %(weight_{index})s::float AS weight FROM papers_paper
     WHERE search_vector @@ plainto_tsquery('english', %(term_{index})s) AND id <> %(paper)s
       {in_sample}
     LIMIT %(per_term)s
)"""
# A term's first papers are taken from the search index's sample (one paper
# in SEARCH_SAMPLE_EVERY, the condition its partial index is built on) when
# the term has enough papers for the sample to hold twice as many as are
# taken. The index lists every paper of a term before giving the first: the
# six terms of a paper at a million papers, 560 to 6,700 papers each, took
# 6 of the 6.7 ms of the related papers, their lists in the sample a tenth.
RELATED_IN_SAMPLE = f"AND mod(id, {SEARCH_SAMPLE_EVERY}) = 0"
RELATED_SAMPLED_FROM = 2 * RELATED_PER_TERM * SEARCH_SAMPLE_EVERY


@dataclass
class RelatedPaper:
    pk: int
    title: str
    shared_terms: list[str]


def related_papers(paper: Paper, *, limit: int = 5) -> list[RelatedPaper]:
    """The papers closest to `paper` by its most distinctive words, with the words they share.

    Distinctive: words of its title and abstract whose stems few other
    papers use, but at least one does. Ranking every paper that shares any
    of them would read most of a large corpus (a word is rare in one
    paper's vocabulary, not in all of them): the ranked ones are a sample
    of each word's papers.
    """
    words = set(re.findall(r"[^\W\d_]{4,}", f"{paper.title} {paper.abstract}".lower()))
    with connection.cursor() as cursor:
        cursor.execute(
            RELATED_TERMS_SQL,
            {"words": list(words), "pool": RELATED_POOL, "terms": RELATED_TERMS},
        )
        weighted = cursor.fetchall()
    if not weighted:
        return []
    terms = [term for term, _, _ in weighted]
    # Each term's sample is a statement of its own, so that the planner
    # sees the term and lets the index find its first papers.
    candidates = " UNION ALL ".join(
        RELATED_CANDIDATES_SQL.format(
            index=index, in_sample=RELATED_IN_SAMPLE if ndoc >= RELATED_SAMPLED_FROM else ""
        )
        for index, (_, _, ndoc) in enumerate(weighted)
    )
    parameters = {
        **{f"term_{index}": term for index, term in enumerate(terms)},
        **{f"weight_{index}": weight for index, (_, weight, _) in enumerate(weighted)},
        "terms": terms,
        "any": " or ".join(terms),
        "paper": paper.pk,
        "per_term": RELATED_PER_TERM,
        "limit": limit,
    }
    with connection.cursor() as cursor:
        cursor.execute(RELATED_SQL.format(candidates=candidates), parameters)
        return [RelatedPaper(*row) for row in cursor.fetchall()]
