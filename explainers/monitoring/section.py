"""The transparency report's monitoring section, as plain blocks any renderer can lay out.

:func:`report_section` returns a :class:`Section`: a heading and blocks, each ``("paragraph", text, style)``
(style ``body`` or ``note``; ``**bold**`` is the only markup) or ``("table", header, rows, numeric)``. Every
text is plain (data values are not escaped here: the renderer escapes them, as it does everything else).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .alerts import RANK

TOP_ATTRIBUTIONS = 10


@dataclass(frozen=True)
class Section:
    key: str
    heading: str
    blocks: list[tuple] = field(default_factory=list)

    def to_markdown(self) -> str:
        """A quick Markdown rendering (for the command line and tests; data values are not escaped)."""
        lines = [f"## {self.heading}", ""]
        for block in self.blocks:
            if block[0] == "paragraph":
                lines += [block[1], ""]
            else:
                _, header, rows, _ = block
                lines.append("| " + " | ".join(header) + " |")
                lines.append("|" + "---|" * len(header))
                lines += ["| " + " | ".join(row) + " |" for row in rows]
                lines.append("")
        return "\n".join(lines)


def _p(tr, value) -> str:
    if value is None or value != value:
        return "–"
    return "< 0.001" if value < 0.001 else tr.fixed(value, 3)


def _interval(tr, row, side: str) -> str:
    return f"{tr.fixed(row[side], 3)} ({tr.fixed(row[side + '_low'], 3)}–{tr.fixed(row[side + '_high'], 3)})"


def report_section(result, tr, spec, labels: dict[str, str] | None = None) -> Section:
    """The section for one :class:`~explainers.monitoring.MonitoringResult` in ``tr``'s language."""
    labels = labels or {}
    name = lambda feature: labels.get(feature, feature)  # noqa: E731
    t = result.thresholds
    intro = tr("monitoring.section_intro", current=result.name, rows=tr.number(result.rows, 0),
               reference=tr.number(result.reference_rows, 0), moderate=tr.fixed(t.psi_moderate, 2),
               major=tr.fixed(t.psi_major, 2), alpha=tr.fixed(t.alpha, 2))
    blocks: list[tuple] = [("paragraph", intro, "body")]
    if result.total_rows > result.rows:
        blocks.append(("paragraph", tr("monitoring.sampled", rows=tr.number(result.rows, 0),
                                       total=tr.number(result.total_rows, 0)), "note"))
    if result.alerts:
        for alert in result.alerts:
            blocks.append(("paragraph", f"**{tr(f'monitoring.severity_{alert.severity}')}**: "
                                        + alert.text(tr, spec, labels), "body"))
    else:
        blocks.append(("paragraph", tr("monitoring.no_alerts"), "body"))

    rows = []
    for feature in sorted(result.features, key=lambda d: (-RANK[d.severity], -d.psi)):
        distance = "–" if feature.wasserstein is None else tr.number(feature.wasserstein, 3)
        rows.append((name(feature.feature), "KS" if feature.test == "ks" else "χ²", _p(tr, feature.p_adjusted),
                     tr.fixed(feature.psi, 3), distance,
                     ("+" if feature.missing_change > 0 else "") + tr.percent(feature.missing_change),
                     tr.number(len(feature.new_levels), 0), tr(f"monitoring.severity_{feature.severity}")))
    blocks.append(("table", (tr("monitoring.col_feature"), tr("monitoring.col_test"), tr("monitoring.col_p_holm"),
                             "PSI", tr("monitoring.col_wasserstein"), tr("monitoring.col_missing_change"),
                             tr("monitoring.col_new_levels"), tr("monitoring.col_verdict")),
                   rows, (False, False, True, True, True, True, True, False)))

    prediction = result.prediction
    shown = tr.percent if prediction.class_shares is not None else (lambda v: tr.number(v, 3))
    blocks.append(("paragraph", tr("monitoring.section_prediction", reference=tr.number(result.model_reference_rows, 0),
                                   before=shown(prediction.reference_mean),
                                   after=shown(prediction.current_mean), psi=tr.fixed(prediction.psi, 3),
                                   p=_p(tr, prediction.p_value)), "body"))

    attributions = result.attributions
    rows = [(name(str(f)), tr.fixed(r["reference"], 3), tr.fixed(r["current"], 3),
             ("+" if r["change"] > 0 else "") + tr.fixed(r["change"], 3),
             f"{int(r['rank_reference'])} → {int(r['rank_current'])}")
            for f, r in attributions.table.head(TOP_ATTRIBUTIONS).iterrows()]
    blocks.append(("paragraph", tr("monitoring.section_attributions", rows=tr.number(attributions.rows_current, 0),
                                   reference=tr.number(attributions.rows_reference, 0)), "body"))
    blocks.append(("table", (tr("monitoring.col_feature"), tr("monitoring.reference"), tr("monitoring.current"),
                             tr("monitoring.col_change"), tr("monitoring.col_rank")), rows,
                   (False, True, True, True, False)))

    if result.performance is not None:
        from ..metrics import METRIC_KEYS

        performance = result.performance
        rows = []
        for metric, r in performance.table.iterrows():
            key = METRIC_KEYS.get(str(metric))
            rows.append((tr(f"report.metric_{key}") if key else str(metric), _interval(tr, r, "reference"),
                         _interval(tr, r, "current"),
                         tr("monitoring.worse") if r["dropped"] else tr("monitoring.within_chance")))
        blocks.append(("paragraph", tr("monitoring.section_performance", rows=tr.number(performance.rows_current, 0),
                                       reference=tr.number(performance.rows_reference, 0),
                                       confidence=tr.percent(performance.confidence, 0)), "body"))
        blocks.append(("table", (tr("monitoring.col_metric"), tr("monitoring.reference_test"), tr("monitoring.current"),
                                 tr("monitoring.col_verdict")), rows, (False, True, True, False)))
    else:
        blocks.append(("paragraph", tr("monitoring.no_target"), "note"))
    blocks.append(("paragraph", tr("monitoring.section_method"), "note"))
    return Section("monitoring", tr("monitoring.section_heading"), blocks)
