"""Languages: the function words of French and English, and guessing a text's language from them."""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+", re.UNICODE)

STOPWORDS = {
    "fr": set("le la les de des du un une et en à au aux pour par sur dans que qui quoi ce ces cet cette est sont a ont "
              "il elle ils elles on se sa son ses leur leurs d l qu s n ne pas plus ou où y été être avec comme".split()),
    "en": set("the a an of to in and or for on by with is are was were be been it its this that these those who what "
              "which about did do does how why when where from at as has have had".split()),
}


def words(text: str) -> list[str]:
    """Lower-cased words, apostrophes unified."""
    return _WORD.findall(text.lower().replace("’", "'"))


def guess_language(text: str) -> str | None:
    """'fr' or 'en' from the function words a text uses; None when it has none of either."""
    found = words(text)
    french = sum(word in STOPWORDS["fr"] for word in found)
    english = sum(word in STOPWORDS["en"] for word in found)
    if french == english:
        return None
    return "fr" if french > english else "en"
