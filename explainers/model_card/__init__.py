"""The model card (Mitchell et al. 2019) and the use-case template: documentation in standard forms.

:func:`build_model_card` fills the card's sections from what the product knows (spec, data, model, test metrics
with bootstrap intervals, fairness by group with Wilson intervals, the flip test) and from the use case; what
nobody stated is written "not stated". It renders with the transparency report's writers (HTML, Markdown,
PDF). :func:`use_case_template` writes the TOML that a person fills in.
"""

from .card import CARD_SECTIONS, ModelCard, build_model_card
from .intervals import bootstrap, wilson
from .template import USE_CASE_ORDER, use_case_template

__all__ = ["CARD_SECTIONS", "USE_CASE_ORDER", "ModelCard", "bootstrap", "build_model_card", "use_case_template",
           "wilson"]
