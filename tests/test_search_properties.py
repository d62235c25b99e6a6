import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papers.importing.vocabulary import ASCII_VOCABULARY_WORD, VOCABULARY_WORD, vocabulary_words
from papers.search import FILTERS, Scope, search

pytestmark = pytest.mark.django_db

filter_words = st.builds(
    lambda negated, name, value: f"{'-' if negated else ''}{name}:{value}",
    st.booleans(),
    st.sampled_from([*FILTERS, "unknown"]),
    st.text(max_size=12),
)
queries = st.lists(
    st.one_of(st.text(max_size=20), filter_words, st.sampled_from(['"', "-", "or", "\\", "'"])),
    max_size=8,
).map(" ".join)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=queries)
def test_no_query_makes_search_fail(reader, workspace, sample_listing, raw):
    found = search(raw, scope=Scope(reader, workspace))

    papers = list(found.papers[:5])
    assert len(papers) <= 5
    assert found.papers.count() >= len(papers)


@given(title=st.text(max_size=40), abstract=st.text(max_size=200))
def test_the_vocabulary_reads_ascii_text_as_it_reads_any_text(title, abstract):
    # ASCII text takes a quicker pattern; the words must be the same.
    text = f"{title} {abstract}".lower()

    assert vocabulary_words(title, abstract) == set(VOCABULARY_WORD.findall(text))


@given(text=st.text(alphabet=st.characters(max_codepoint=127), max_size=200))
def test_ascii_text_finds_the_same_words_by_either_pattern(text):
    assert set(ASCII_VOCABULARY_WORD.findall(text.lower())) == set(
        VOCABULARY_WORD.findall(text.lower())
    )
