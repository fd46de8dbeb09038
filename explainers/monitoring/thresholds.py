"""When a change counts as an alert: defaults, and the ``[monitoring]`` table of a dataset's spec TOML.

```toml
[monitoring]
psi_moderate = 0.10   # population stability index from which a feature has moderately shifted
psi_major = 0.25      # ... and from which the shift is major
alpha = 0.05          # family-wise error rate of the tests (Holm-corrected over the features)
```

Every other field of :class:`Thresholds` may be set the same way; an unknown name or a value out of range is
one :class:`~explainers.errors.InputError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace

from .. import InputError
from ..messages import Message

SEVERITIES = ("major", "moderate", "minor")  # most severe first


@dataclass(frozen=True)
class Thresholds:
    """Alert thresholds and the sizes of the seeded samples behind the model's statistics."""

    psi_moderate: float = 0.10  # PSI at or above: moderate shift (when the test agrees the change is real)
    psi_major: float = 0.25  # PSI at or above: major shift
    alpha: float = 0.05  # family-wise error rate; p-values are Holm-corrected over the features
    missing_change: float = 0.05  # change in a feature's share of missing values that alerts (5 points)
    new_level_share: float = 0.01  # share of current rows in levels the reference never had that alerts
    top_k: int = 5  # a feature that moves into or out of the top k of mean |SHAP| alerts
    confidence: float = 0.95  # of the bootstrap intervals (performance, mean |SHAP| changes)
    bootstrap: int = 200  # bootstrap resamples
    sample_rows: int = 2000  # rows per side behind the attribution statistics (seeded sample)
    performance_rows: int = 20_000  # most labelled current rows behind the performance statistics
    seed: int = 0

    def __post_init__(self) -> None:
        problems = []
        if not 0 < self.psi_moderate <= self.psi_major:
            problems.append(Message("errors.monitoring.psi_order"))
        if not 0 < self.alpha < 1:
            problems.append(Message("errors.monitoring.alpha"))
        if not 0 < self.missing_change <= 1 or not 0 < self.new_level_share <= 1:
            problems.append(Message("errors.monitoring.shares"))
        if not 0.5 <= self.confidence < 1:
            problems.append(Message("errors.monitoring.confidence"))
        if self.top_k < 1 or self.bootstrap < 20 or self.sample_rows < 50 or self.performance_rows < 50:
            problems.append(Message("errors.monitoring.counts"))
        if problems:
            raise InputError(key="errors.monitoring.bad_thresholds", problems=tuple(problems))

    def to_dict(self) -> dict:
        return asdict(self)

    def updated(self, values: Mapping[str, object], where: object = None) -> Thresholds:
        """A copy with ``values`` (names of fields) applied, each checked and converted to the field's type."""
        where = where or Message("errors.monitoring.where_thresholds")  # says which settings are wrong
        known = {f.name: f for f in fields(self)}
        unknown = sorted(set(map(str, values)) - set(known))
        if unknown:
            raise InputError(key="errors.monitoring.unknown_settings", where=where, names=', '.join(unknown),
                             known=', '.join(known))
        changes: dict[str, object] = {}
        for name, value in values.items():
            kind = int if known[str(name)].type in ("int", int) else float
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise InputError(key="errors.monitoring.not_a_number", where=where, name=name, value=repr(value))
            try:
                number = float(value)
            except ValueError:
                raise InputError(key="errors.monitoring.not_a_number", where=where, name=name,
                                 value=repr(value)) from None
            if kind is int and number != int(number):
                raise InputError(key="errors.monitoring.not_whole", where=where, name=name, value=repr(value))
            changes[str(name)] = int(number) if kind is int else number
        return replace(self, **changes)


def thresholds_for(spec: object, overrides: Mapping[str, object] | None = None) -> Thresholds:
    """The defaults, then the spec's ``[monitoring]`` table, then ``overrides`` (e.g. from the command line)."""
    found = getattr(spec, "monitoring", None) or {}
    if not isinstance(found, Mapping):
        raise InputError(key="errors.monitoring.bad_table")
    thresholds = Thresholds().updated(found, Message("errors.monitoring.where_spec"))
    return thresholds.updated(overrides) if overrides else thresholds
