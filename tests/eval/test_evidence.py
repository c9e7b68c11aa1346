"""Evidence strings: normalised comparison and their place in a cleaned report."""

from eval.evidence import EvidenceLocator, normalise, normalised_with_offsets
from index_build.cleaning import clean_pages


def test_normalise_collapses_spaces_and_apostrophes():
    assert normalise("  l’intérêt \n supérieur\tde l‘enfant ") == "l'intérêt supérieur de l'enfant"


def test_normalised_offsets_point_back_into_the_text():
    text = "  a  b\n\nc’d"
    normalised, offsets = normalised_with_offsets(text)
    assert normalised == "a b c'd"
    assert [text[offset] for offset in offsets] == ["a", " ", "b", "\n", "c", "’", "d"]


def test_the_locator_gives_the_page_where_the_evidence_starts():
    pages = [["The first page speaks of bees."], ["The second page speaks of", "honey and wax."]]
    locator = EvidenceLocator(clean_pages(pages))
    assert locator.page("speaks of bees") == 1
    assert locator.page("speaks of honey   and wax") == 2  # wrapped lines joined, whitespace normalised
    assert locator.page("speaks of ants") is None


def test_the_locator_gives_every_page_where_a_repeated_string_starts():
    pages = [["Updated in May. Bees make honey."], ["Updated in May. Wasps do not."], ["Nothing repeats here."]]
    locator = EvidenceLocator(clean_pages(pages))
    assert locator.pages("Updated in May") == [1, 2] and locator.page("Updated in May") == 1
    assert locator.pages("Wasps do not") == [2] and locator.pages("ants") == []
