"""Message catalogues, locale formats and narratives."""

from __future__ import annotations

import re
import string

import pytest

from explainers import Workspace, load_builtin, shap_values, train_default_model
from explainers.i18n import DEFAULT_LANGUAGE, catalogue, languages, translator
from explainers.narrative import check_sum, narrate


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def shared_keys(messages: dict[str, str]) -> dict[str, str]:
    """Every message but the [singular] table, which is keyed by each language's own unit words."""
    return {key: text for key, text in messages.items() if not key.startswith("singular.")}


def test_every_language_has_every_key_with_the_same_placeholders():
    reference = shared_keys(catalogue(DEFAULT_LANGUAGE))
    assert len(languages()) >= 2
    for lang in languages():
        messages = shared_keys(catalogue(lang))
        assert set(messages) == set(reference), (lang, set(reference) ^ set(messages))
        for key, text in reference.items():
            assert placeholders(messages[key]) == placeholders(text), (lang, key)
            assert messages[key].strip(), (lang, key)


def test_units_are_singular_for_exactly_one():
    assert translator("en").quantity(1, "years") == "1 year"
    assert translator("en").quantity(2, "years") == "2 years"
    assert translator("pt-BR").quantity(1, "meses") == "1 mês"
    assert translator("pt-BR").quantity(1.5, "anos") == "1,5 anos"


def test_numbers_follow_the_locale():
    assert translator("en").number(1234.5, 1) == "1,234.5"
    assert translator("pt-BR").number(1234.5, 1) == "1.234,5"
    assert translator("pt-BR").percent(0.881) == "88,1%"
    assert translator("xx").lang == "en"


@pytest.fixture(scope="module")
def credit():
    dataset = load_builtin("credit")
    model = train_default_model(dataset)
    return Workspace(dataset, model)


@pytest.mark.parametrize("row", [0, 3, 17])
def test_narrative_numbers_are_the_engines_and_add_up(credit, row):
    dataset, model = credit.dataset, credit.model
    frame = dataset.row(row)
    found = credit.counterfactuals.generate(frame).counterfactuals
    narrative = narrate(model, frame, found[0] if found else None, lang="en")
    probability = float(model.score(frame)[0])
    assert narrative.score == pytest.approx(round(100 * probability, 1))
    assert check_sum(narrative) == pytest.approx(0.0, abs=1e-9)
    effects = shap_values(model, frame, output="probability")
    assert effects.base_value + sum(effects.row().values()) == pytest.approx(probability, abs=1e-9)
    for feature, shown in narrative.shown.items():
        assert shown == pytest.approx(round(100 * effects.row()[feature], 1))
    text = narrative.text
    assert f"{narrative.score:.1f}%" in text
    for shown in narrative.shown.values():
        assert f"{abs(shown):.1f} points" in text
    if found:
        first_change = next(iter(found[0].changes))
        assert dataset.spec.feature_label(first_change).split(" (")[0] in text
    assert "not causes" in text


def test_narrative_in_portuguese_has_no_english_template_words(credit):
    frame = credit.dataset.row(5)
    found = credit.counterfactuals.generate(frame).counterfactuals
    text = narrate(credit.model, frame, found[0] if found else None, lang="pt-BR").text
    english = {c.split("{")[0].strip() for c in catalogue("en").values() if c.startswith(("The ", "These "))}
    assert not any(phrase and phrase in text for phrase in english)
    assert "O modelo prevê" in text and "pontos" in text
    assert re.search(r"\d+,\d%", text)  # decimal comma


def test_regression_narrative_adds_up_in_target_units():
    dataset = load_builtin("loans")
    model = train_default_model(dataset)
    frame = dataset.row(4)
    narrative = narrate(model, frame, lang="en")
    assert narrative.score == pytest.approx(round(float(model.predict_value(frame)[0]), 2), abs=0.011)
    assert check_sum(narrative) == pytest.approx(0.0, abs=1e-9)
