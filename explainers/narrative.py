"""Plain-language explanations of one prediction, from templates (no language model).

Every number in the text is computed, and the effects add up: for classifiers they are SHAP values
of the probability itself (shap's permutation explainer, exact in sum), so the average plus the
effects is the probability shown; for regressors they are TreeSHAP values in the target's units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .attributions import ShapValues, shap_values
from .counterfactuals import Counterfactual
from .i18n import Translator, translator
from .models import TabularModel


@dataclass(frozen=True)
class Narrative:
    """Sentences about one row and the numbers behind them."""

    sentences: tuple[str, ...]
    base: float
    score: float
    effects: dict[str, float]
    shown: dict[str, float]
    others: float
    space: str

    @property
    def text(self) -> str:
        return " ".join(self.sentences)

    def to_dict(self) -> dict:
        return {"text": self.text, "sentences": list(self.sentences), "base": self.base, "score": self.score,
                "effects": self.effects, "space": self.space}


def outcome_effects(model: TabularModel, row: pd.DataFrame, seed: int = 0) -> ShapValues:
    """Effects on the number a reader sees: the positive-class probability, or the predicted value."""
    if model.is_classifier:
        return shap_values(model, row, seed=seed, output="probability")
    return shap_values(model, row, seed=seed)


def short_label(model: TabularModel, feature: str, lang: str) -> str:
    """The feature's name in sentences and charts (``DatasetSpec.short_labels``)."""
    return model.dataset.spec.short_labels(model.dataset.feature_names, lang)[feature]


def _describe(model: TabularModel, feature: str, value: object, tr: Translator) -> str:
    spec = model.dataset.spec
    unit = spec.feature_unit(feature, tr.lang)
    label = short_label(model, feature, tr.lang)
    if feature in spec.features:
        return tr("narrative.feature_value", label=label, value=tr.quantity(value, unit))
    return f"{feature} = {tr.value(value)}"


def narrate(
    model: TabularModel,
    row: pd.DataFrame,
    counterfactual: Counterfactual | None = None,
    lang: str = "en",
    top: int = 3,
    seed: int = 0,
    effects: ShapValues | None = None,
) -> Narrative:
    """Two to five sentences: the decision, the strongest reasons, the smallest change, a caveat."""
    tr = translator(lang)
    spec = model.dataset.spec
    effects = effects if effects is not None else outcome_effects(model, row, seed)
    values = effects.row()
    probability = model.is_classifier
    digits = 1 if probability else 2

    def amount(x: float) -> float:  # what the text shows: probability points, or target units
        return round(100 * x, digits) if probability else round(x, digits)

    base, score = amount(effects.base_value), amount(float(effects.output[0]))
    order = sorted(values, key=lambda f: -abs(values[f]))
    shown = {f: amount(values[f]) for f in order[:top] if amount(values[f]) != 0}
    # The remainder is computed from the rounded figures so that the sentence adds up exactly.
    others = round(score - base - sum(shown.values()), digits)
    sentences = []
    features = row.iloc[0]
    if probability:
        label = model.predict(row)[0]
        positive = model.classes[model.positive_index]
        sentences.append(tr("narrative.decision_class", label=spec.class_label(label, lang),
                            positive=spec.class_label(positive, lang), score=tr.fixed(score, 1),
                            base=tr.fixed(base, 1)))
    else:
        sentences.append(tr("narrative.decision_value", target=spec.target, score=tr.fixed(score, 2),
                            base=tr.fixed(base, 2)))
    if shown:
        unit = tr("narrative.points") if probability else ""
        parts = [f"{_describe(model, f, features[f], tr)} ({_signed(shown[f], digits, tr)}{unit})" for f in shown]
        reasons = parts[0] if len(parts) == 1 else tr("narrative.and", first=", ".join(parts[:-1]), last=parts[-1])
        key = "narrative.reasons" if len(order) > len(shown) else "narrative.reasons_all"
        sentences.append(tr(key, reasons=reasons, n=len(order) - len(shown), others=_signed(others, digits, tr) + unit))
    if counterfactual is not None:
        changes = [tr("narrative.change", label=short_label(model, f, lang), before=tr.value(c["from"]),
                      after=tr.value(c["to"])) for f, c in counterfactual.changes.items()]
        change_text = changes[0] if len(changes) == 1 else tr("narrative.and", first=", ".join(changes[:-1]),
                                                               last=changes[-1])
        prediction = counterfactual.prediction
        if "label" in prediction:
            outcome = spec.class_label(prediction["label"], lang)
        else:
            outcome = tr.fixed(prediction["value"], 2)
        sentences.append(tr("narrative.counterfactual", changes=change_text, outcome=outcome))
    sentences.append(tr("narrative.caveat"))
    return Narrative(
        sentences=tuple(sentences),
        base=base,
        score=score,
        effects={f: float(v) for f, v in values.items()},
        shown=shown,
        others=others,
        space=effects.space,
    )


def _signed(value: float, digits: int, tr: Translator) -> str:
    sign = "+" if value >= 0 else "−"
    return sign + tr.fixed(abs(value), digits)


def check_sum(narrative: Narrative) -> float:
    """Gap between the score and base + shown effects + others, as the text states them."""
    return float(np.round(narrative.score - narrative.base - sum(narrative.shown.values()) - narrative.others, 9))
