"""Question words translated into the reports' words by the real model and the real index's vocabulary."""

from service.translation import QuestionTranslator


def test_english_question_words_find_their_french_words(engine):
    translator = QuestionTranslator(engine.embedder, engine.version.vocabulary)
    found = translator.words_in("who spoke about child protection", "fr")
    assert {"enfant", "enfants", "protection"} <= set(found)
    assert "spoke" not in found and "who" not in found  # the question frame is not translated


def test_numbers_pass_as_they_are_and_unknown_languages_give_nothing(engine):
    translator = QuestionTranslator(engine.embedder, engine.version.vocabulary)
    assert translator.words_in("Venezuelans 95 500", "fr")[-2:] == ["95", "500"]
    assert translator.words_in("child protection", "de") == []


def test_english_questions_rank_better_with_translated_words(engine):
    from service.search import SearchEngine

    plain = SearchEngine(engine.embedder, engine.version, engine.settings.with_(translated_weight=0.0,
                                                                                rendering_weight=0.0,
                                                                                rendering_lexical_weight=0.0))
    translated = SearchEngine(engine.embedder, engine.version, plain.settings.with_(translated_weight=0.5))
    question = "What did UNICEF recommend for border staff?"
    evidence = "former le personnel chargé de la gestion des frontières"
    rank = lambda answer: next(p.rank for p in answer.passages if evidence in p.text)  # noqa: E731
    assert rank(translated.search(question, 10)) < rank(plain.search(question, 10))

