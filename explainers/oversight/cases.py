"""Saved cases and their reviews.

A case is a snapshot of what a page showed about one row: the dataset's name and SHA-256, the model's
SHA-256, the row's position and values, the what-if edits or the chosen counterfactual, the prediction,
SHAP and LIME values, the narrative in the session's language, the seed and package versions, a note,
who saved it and when. It never changes afterwards, so a case opens from its snapshot even when the data
or the model has changed since (and says so). Reviews are appended to a case; each case, review and their
audit entry commit in one transaction.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import exists, func, insert, select

from ..counterfactuals import Counterfactual, prediction_dict
from ..errors import InputError
from ..narrative import Narrative, narrate, outcome_effects
from ..util import package_versions, plain_json
from ..workspace import Workspace, frame_of
from . import audit
from .audit import Actor
from .schema import cases, reviews
from .store import Store

KINDS = ("local", "whatif", "counterfactual")
VERDICTS = ("agree", "override", "needs_information")
STATUSES = ("open", *VERDICTS)
SNAPSHOT_VERSION = 1
MAX_NOTE = 5000


@dataclass(frozen=True)
class Review:
    id: int
    case_id: int
    created_at: str
    reviewer: str
    reviewer_verified: bool
    verdict: str
    outcome: str | None
    reason: str | None
    comment: str | None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class CaseSummary:
    """One line of the case list."""

    id: int
    created_at: str
    actor: str
    actor_verified: bool
    kind: str
    dataset: str
    row: int
    prediction: str
    note: str
    status: str  # open, or the latest review's verdict
    reviewer: str | None
    reviewed_at: str | None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Case:
    id: int
    created_at: str
    actor: str
    actor_verified: bool
    kind: str
    dataset: str
    data_sha256: str
    model_sha256: str
    row: int
    lang: str
    note: str
    snapshot: dict
    reviews: tuple[Review, ...] = field(default_factory=tuple)

    @property
    def status(self) -> str:
        return self.reviews[-1].verdict if self.reviews else "open"

    def matches(self, workspace: Workspace) -> bool:
        """Whether ``workspace`` has the data and model this case was saved with."""
        return (workspace.dataset.data_hash == self.data_sha256
                and workspace.model.model_hash == self.model_sha256)

    def to_dict(self) -> dict:
        out = {k: v for k, v in self.__dict__.items() if k != "reviews"}
        out["status"] = self.status
        out["reviews"] = [r.to_dict() for r in self.reviews]
        return out


# ------------------------------------------------------------------------------------------------
# Snapshots


def prediction_text(prediction: Mapping[str, object]) -> str:
    """A prediction in one short line for lists: the label, or the value."""
    if "label" in prediction:
        return str(prediction["label"])
    return f"{float(prediction['value']):.6g}"


def snapshot(
    workspace: Workspace,
    row: int,
    kind: str = "local",
    *,
    dataset: str | None = None,
    lang: str = "en",
    edits: Mapping[str, object] | None = None,
    counterfactual: Counterfactual | Mapping[str, object] | None = None,
    shap=None,
    lime=None,
    narrative: Narrative | None = None,
    effects=None,
    seed: int | None = None,
) -> dict:
    """What a page shows about ``row`` now, as plain JSON values. Values the page already computed (SHAP,
    LIME, the narrative, probability effects) may be passed in; the rest is computed here.

    ``kind``: ``local`` (the row as it is), ``whatif`` (the row with ``edits``) or ``counterfactual`` (the
    row and the chosen ``counterfactual``)."""
    if kind not in KINDS:
        raise InputError(key="errors.oversight.unknown_kind", kind=repr(kind), choices=', '.join(KINDS))
    data, model = workspace.dataset, workspace.model
    rows = len(data.features)
    if not isinstance(row, int | float) or isinstance(row, bool) or not 0 <= int(row) < rows:
        raise InputError(key="errors.oversight.no_row", row=str(row), last=str(rows - 1))
    row = int(row)
    seed = workspace.seed if seed is None else int(seed)
    original = data.row(row)
    features = {k: plain_json(v) for k, v in original.iloc[0].items()}
    shown_frame = original
    edit_values: dict[str, object] = {}
    chosen = None
    if kind == "whatif":
        unknown = [f for f in (edits or {}) if f not in data.feature_names]
        if unknown:
            raise InputError(key="errors.oversight.unknown_edits", columns=", ".join(map(str, unknown)))
        edit_values = {f: plain_json(v) for f, v in (edits or {}).items()}
        merged = {f: (math.nan if edit_values.get(f, features[f]) is None else edit_values.get(f, features[f]))
                  for f in data.feature_names}
        shown_frame = frame_of(merged, data)
    elif kind == "counterfactual":
        if counterfactual is None:
            raise InputError(key="errors.oversight.no_counterfactual")
        chosen = counterfactual.to_dict() if isinstance(counterfactual, Counterfactual) else dict(counterfactual)
    if shap is None:
        from ..attributions import shap_values

        shap = shap_values(model, shown_frame, seed=seed)
    if lime is None:
        lime = workspace.lime.explain(shown_frame, seed=seed)
    if narrative is None:
        found = None
        if chosen is not None:
            found = Counterfactual(row=chosen["row"], changes=chosen["changes"], prediction=chosen["prediction"],
                                   distance=float(chosen.get("distance", 0.0)))
        if effects is None and kind == "whatif":
            effects = outcome_effects(model, shown_frame, seed=seed)
        narrative = narrate(model, shown_frame, found, lang=lang, seed=seed, effects=effects)
    shown_values = {k: plain_json(v) for k, v in shown_frame.iloc[0].items()}
    prediction = prediction_dict(model, shown_frame)[0]
    return plain_json({
        "version": SNAPSHOT_VERSION,
        "kind": kind,
        "dataset": dataset or data.spec.name,
        "dataset_title": {lang_: data.spec.display_title(lang_) for lang_ in ("en", "pt-BR")},
        "data_sha256": data.data_hash,
        "model_sha256": model.model_hash,
        "model": model.source,
        "task": data.task,
        "classes": list(model.classes) if model.is_classifier else [],
        "positive_class": model.classes[model.positive_index] if model.is_classifier else None,
        "row": row,
        "features": features,
        "edits": edit_values if kind == "whatif" else None,
        "counterfactual": chosen,
        "shown": shown_values,
        "prediction": prediction,
        "score": float(model.score(shown_frame)[0]),
        "original_prediction": prediction_dict(model, original)[0],
        "shap": shap.to_dict(),
        "lime": None if lime is None else lime.to_dict(),
        "narrative": {"lang": lang, "text": narrative.text, "sentences": list(narrative.sentences)},
        "seed": seed,
        "versions": package_versions(),
    })


# ------------------------------------------------------------------------------------------------
# Saving, listing, reviewing


def _note(note: str | None) -> str:
    note = str(note or "").strip()
    if len(note) > MAX_NOTE:
        raise InputError(key="errors.oversight.long_note", limit=MAX_NOTE)
    return note


def save_case(store: Store, snap: Mapping[str, Any], actor: Actor, note: str = "") -> int:
    """Store a snapshot as a new case and append ``case.saved`` to the audit trail; returns the case id."""
    required = ("kind", "dataset", "data_sha256", "model_sha256", "row", "prediction")
    missing = [k for k in required if k not in snap]
    if missing:
        raise InputError(key="errors.oversight.incomplete_snapshot", fields=", ".join(missing))
    note = _note(note)
    body = audit.canonical(plain_json(dict(snap)))
    lang = str((snap.get("narrative") or {}).get("lang") or "en")
    with store.writing() as conn:
        created = audit.now()
        case_id = conn.execute(insert(cases).values(
            created_at=created, actor=actor.name, actor_verified=actor.verified, kind=snap["kind"],
            dataset=str(snap["dataset"]), data_sha256=snap["data_sha256"], model_sha256=snap["model_sha256"],
            row_position=int(snap["row"]), lang=lang, note=note, prediction=prediction_text(snap["prediction"]),
            snapshot=body,
        ).returning(cases.c.id)).scalar_one()
        audit.append(store, "case.saved", f"case:{case_id}", actor, data_sha256=snap["data_sha256"],
                     model_sha256=snap["model_sha256"], conn=conn,
                     details={"dataset": str(snap["dataset"]), "row": int(snap["row"]), "kind": snap["kind"],
                              "prediction": prediction_text(snap["prediction"]), "note_chars": len(note)})
    return int(case_id)


def _review(row) -> Review:
    return Review(id=int(row.id), case_id=int(row.case_id), created_at=row.created_at, reviewer=row.reviewer,
                  reviewer_verified=bool(row.reviewer_verified), verdict=row.verdict, outcome=row.outcome,
                  reason=row.reason, comment=row.comment)


def get_case(store: Store, case_id: int) -> Case:
    """The case with this id and its reviews (oldest first); InputError when there is none."""
    with store.reading() as conn:
        row = conn.execute(select(cases).where(cases.c.id == int(case_id))).first()
        if row is None:
            raise InputError(key="errors.oversight.no_case", case_id=str(case_id))
        found = conn.execute(select(reviews).where(reviews.c.case_id == int(case_id)).order_by(reviews.c.id))
        items = tuple(_review(r) for r in found)
    return Case(id=int(row.id), created_at=row.created_at, actor=row.actor, actor_verified=bool(row.actor_verified),
                kind=row.kind, dataset=row.dataset, data_sha256=row.data_sha256, model_sha256=row.model_sha256,
                row=int(row.row_position), lang=row.lang, note=row.note, snapshot=json.loads(row.snapshot),
                reviews=items)


def list_cases(store: Store, *, dataset: str | None = None, status: str | None = None,
               reviewer: str | None = None, since: date | str | None = None, until: date | str | None = None,
               search: str | None = None, limit: int | None = None) -> list[CaseSummary]:
    """Cases that match every filter given, newest first. ``status``: open (no review yet) or the latest
    review's verdict; ``reviewer``: who wrote the latest review; ``search``: text in the note."""
    if status is not None and status not in STATUSES:
        raise InputError(key="errors.oversight.unknown_status", status=repr(status), choices=', '.join(STATUSES))
    # The latest review of each case by an index lookup per case (reviews(case_id, id)), which keeps the plan
    # simple on both databases whatever their statistics say.
    latest_id = select(func.max(reviews.c.id)).where(reviews.c.case_id == cases.c.id).scalar_subquery()
    inner = select(cases.c.id, cases.c.created_at, cases.c.actor, cases.c.actor_verified, cases.c.kind,
                   cases.c.dataset, cases.c.row_position, cases.c.prediction, cases.c.note,
                   latest_id.label("review_id"))
    if dataset:
        inner = inner.where(cases.c.dataset == dataset)
    start, stop = audit.day_bound(since), audit.day_bound(until, end=True)
    if start:
        inner = inner.where(cases.c.created_at >= start)
    if stop:
        inner = inner.where(cases.c.created_at < stop)
    if search:
        inner = inner.where(cases.c.note.icontains(search, autoescape=True))
    found = inner.subquery("found")
    last = reviews.alias("last_review")
    query = (select(found, last.c.verdict, last.c.reviewer, last.c.created_at.label("reviewed_at"))
             .select_from(found.outerjoin(last, last.c.id == found.c.review_id)))
    if status == "open":
        query = query.where(found.c.review_id.is_(None))
    elif status:
        query = query.where(last.c.verdict == status)
    if reviewer:
        query = query.where(last.c.reviewer == reviewer)
    query = query.order_by(found.c.created_at.desc(), found.c.id.desc())
    if limit is not None:
        query = query.limit(int(limit))
    with store.reading() as conn:
        return [CaseSummary(id=int(r.id), created_at=r.created_at, actor=r.actor, actor_verified=bool(r.actor_verified),
                            kind=r.kind, dataset=r.dataset, row=int(r.row_position), prediction=r.prediction,
                            note=r.note, status=r.verdict or "open", reviewer=r.reviewer, reviewed_at=r.reviewed_at)
                for r in conn.execute(query)]


def review_queue(store: Store, limit: int | None = None) -> list[CaseSummary]:
    """Cases without any review, oldest first."""
    query = (select(cases.c.id, cases.c.created_at, cases.c.actor, cases.c.actor_verified, cases.c.kind,
                    cases.c.dataset, cases.c.row_position, cases.c.prediction, cases.c.note)
             .where(~exists().where(reviews.c.case_id == cases.c.id))
             .order_by(cases.c.created_at, cases.c.id))
    if limit is not None:
        query = query.limit(int(limit))
    with store.reading() as conn:
        return [CaseSummary(id=int(r.id), created_at=r.created_at, actor=r.actor, actor_verified=bool(r.actor_verified),
                            kind=r.kind, dataset=r.dataset, row=int(r.row_position), prediction=r.prediction,
                            note=r.note, status="open", reviewer=None, reviewed_at=None)
                for r in conn.execute(query)]


def distinct_values(store: Store) -> dict[str, list[str]]:
    """The datasets and reviewers that the filters can offer."""
    with store.reading() as conn:
        datasets = list(conn.execute(select(cases.c.dataset).distinct().order_by(cases.c.dataset)).scalars())
        reviewers = list(conn.execute(select(reviews.c.reviewer).distinct().order_by(reviews.c.reviewer)).scalars())
    return {"dataset": datasets, "reviewer": reviewers}


def check_outcome(snap: Mapping[str, Any], outcome: object) -> str:
    """The overriding outcome as stored: one of the model's classes, or a number for a regression."""
    text = str(outcome if outcome is not None else "").strip()
    if not text:
        raise InputError(key="errors.oversight.no_outcome")
    if snap.get("task") == "classification":
        classes = [str(c) for c in snap.get("classes") or []]
        if text not in classes:
            raise InputError(key="errors.oversight.outcome_not_class", text=text, classes=', '.join(classes))
        return text
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        raise InputError(key="errors.oversight.outcome_not_number", text=text) from None
    if not math.isfinite(value):
        raise InputError(key="errors.oversight.outcome_not_finite")
    return f"{value:.10g}"


def record_review(store: Store, case_id: int, verdict: str, actor: Actor, *, outcome: object = None,
                  reason: str | None = None, comment: str | None = None) -> int:
    """Record a verdict on a case (``agree``, ``override`` with the decided outcome and a required reason,
    or ``needs_information``) and append ``review.recorded``; returns the review id."""
    if verdict not in VERDICTS:
        raise InputError(key="errors.oversight.unknown_verdict", verdict=repr(verdict), choices=', '.join(VERDICTS))
    reason = str(reason or "").strip()
    comment = str(comment or "").strip()
    if len(reason) > MAX_NOTE or len(comment) > MAX_NOTE:
        raise InputError(key="errors.oversight.long_review", limit=MAX_NOTE)
    case = get_case(store, case_id)
    stored_outcome = None
    if verdict == "override":
        if not reason:
            raise InputError(key="errors.oversight.no_reason")
        stored_outcome = check_outcome(case.snapshot, outcome)
    elif outcome not in (None, ""):
        raise InputError(key="errors.oversight.outcome_without_override")
    with store.writing() as conn:
        review_id = conn.execute(insert(reviews).values(
            case_id=case.id, created_at=audit.now(), reviewer=actor.name, reviewer_verified=actor.verified,
            verdict=verdict, outcome=stored_outcome, reason=reason or None, comment=comment or None,
        ).returning(reviews.c.id)).scalar_one()
        audit.append(store, "review.recorded", f"case:{case.id}", actor, data_sha256=case.data_sha256,
                     model_sha256=case.model_sha256, conn=conn,
                     details={"review": int(review_id), "verdict": verdict, "outcome": stored_outcome,
                              "model_prediction": prediction_text(case.snapshot["prediction"])})
    return int(review_id)


def cases_frame(items: list[CaseSummary]) -> pd.DataFrame:
    """The case list as a table (for the page and ``cases list``)."""
    columns = ["id", "created_at", "dataset", "row", "kind", "prediction", "status", "reviewer", "actor", "note"]
    return pd.DataFrame([{c: getattr(i, c) for c in columns} for i in items], columns=columns)


__all__ = ["KINDS", "STATUSES", "VERDICTS", "Case", "CaseSummary", "Review", "cases_frame", "check_outcome",
           "distinct_values", "get_case", "list_cases", "prediction_text", "record_review", "review_queue",
           "save_case", "snapshot"]
