"""ONNX model files (classifiers and regressors exported from scikit-learn with skl2onnx, or from XGBoost or
LightGBM with onnxmltools): checked in a child process first (standard operators only, no external data), then
run with onnxruntime; SHAP through the model-agnostic path, as for scikit-learn models.

Two input layouts are understood: one input per original column, named after it (what skl2onnx writes for a
pipeline given one ``initial_types`` entry per column), or one tensor of all the columns in the table's order,
categories as the table's codes (what the tree converters write)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..data import Dataset
from ..errors import InputError
from .core import TabularModel, check_features, hash_bytes, read_model_bytes
from .layout import ModelInfo, check_task, class_names, frame_sample

SUFFIXES = (".onnx",)
NUMBER_TYPES = {"tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(int64)": np.int64,
                "tensor(int32)": np.int32}


def new_session(data: bytes):
    """An onnxruntime session on the CPU, one thread, for bytes that passed the child process's check."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(data, sess_options=options, providers=["CPUExecutionProvider"])


class OnnxRunner:
    """An onnxruntime session on the table's typed frames: one feed per column, or one matrix of codes. Pickled
    as the model's bytes (a session cannot be), so that batch workers rebuild it."""

    def __init__(self, session, dataset: Dataset, per_column: bool, classifier: bool,
                 labels: list | None, data: bytes = b""):
        self.session = session
        self.dataset = dataset
        self.per_column = per_column
        self.classifier = classifier
        self.labels = labels
        self.data = data
        self.inputs = session.get_inputs()
        self.outputs = session.get_outputs()

    def __getstate__(self) -> dict:
        if not self.data:
            raise TypeError("this ONNX model was loaded without its bytes and cannot be copied")
        return {k: v for k, v in self.__dict__.items() if k not in ("session", "inputs", "outputs")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.session = new_session(self.data)
        self.inputs = self.session.get_inputs()
        self.outputs = self.session.get_outputs()

    def feeds(self, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        if not self.per_column:
            spec = self.inputs[0]
            codes = self.dataset.to_codes(frame)
            return {spec.name: codes.astype(NUMBER_TYPES.get(spec.type, np.float32))}
        feeds = {}
        for spec in self.inputs:
            column = frame[spec.name]
            if spec.type == "tensor(string)":
                values = column.astype("object").where(column.notna(), "").astype(str).to_numpy(dtype=object)
            elif isinstance(column.dtype, pd.CategoricalDtype):
                values = column.cat.codes.to_numpy().astype(NUMBER_TYPES.get(spec.type, np.float32))
            else:
                number = column.to_numpy(dtype="float64")
                if np.issubdtype(NUMBER_TYPES.get(spec.type, np.float32), np.integer):
                    number = np.nan_to_num(number)
                values = number.astype(NUMBER_TYPES.get(spec.type, np.float32))
            feeds[spec.name] = values.reshape(-1, 1) if len(spec.shape or []) == 2 else values
        return feeds

    def _outputs(self, frame: pd.DataFrame) -> list:
        return self.session.run(None, self.feeds(frame))

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        outputs = self._outputs(frame)
        for out in outputs[1:] + outputs[:1]:
            if isinstance(out, list):  # ZipMap: one {label: probability} per row, in the model's label order
                if not out:
                    return np.empty((0, len(self.labels or ())))
                by_text = {str(key): key for key in out[0]}
                keys = [by_text[str(label)] for label in self.labels] if self.labels else list(by_text.values())
                return np.array([[row[k] for k in keys] for row in out], dtype="float64")
            array = np.asarray(out)
            if array.dtype.kind == "f" and array.ndim == 2 and array.shape[1] > 1:
                return array.astype("float64")
        raise InputError(key="errors.model_kinds.onnx_no_probabilities")

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        for out in self._outputs(frame):
            array = np.asarray(out)
            if array.dtype.kind == "f":
                return array.reshape(len(frame), -1)[:, 0].astype("float64")
        raise InputError(key="errors.model_kinds.onnx_no_values")


def one_tensor(inputs: list[dict]) -> bool:
    """Whether the model takes one numeric matrix of every column (codes) rather than one input per column."""
    if len(inputs) != 1:
        return False
    shape = inputs[0].get("shape") or []
    return len(shape) == 2 and isinstance(shape[1], int) and shape[1] > 1 and inputs[0].get("type") in NUMBER_TYPES


def describe_onnx(path: Path) -> ModelInfo:
    """What an ONNX file says about its table (checked in a child process first): one input per column, named
    after it (a text input is a categorical column; a numeric one may be a number or a category's code, so its
    kind comes from the data), or one tensor of all the columns; classifier or regressor, and its class labels."""
    from ..model_check import check_model_bytes

    facts = check_model_bytes(read_model_bytes(path), path.name, "onnx")
    inputs = list(facts.get("inputs") or [])
    classifier = bool(facts.get("classifier"))
    labels = tuple(str(c) for c in facts.get("classes") or [])
    if classifier and not labels:
        raise InputError(key="errors.model_kinds.onnx_no_probabilities")
    common = {"kind": "onnx", "task": "classification" if classifier else "regression",
              "num_class": len(labels) if classifier else 0, "objective": str(facts.get("producer") or "onnx"),
              "classes": labels}
    if inputs and one_tensor(inputs):
        width = int(inputs[0]["shape"][1])
        return ModelInfo(features=None, num_features=width, kinds=(None,) * width, **common)
    return ModelInfo(features=tuple(str(i["name"]) for i in inputs), num_features=len(inputs),
                     kinds=tuple("categorical" if i.get("type") == "tensor(string)" else None for i in inputs),
                     **common)


def load_onnx(path: Path, dataset: Dataset) -> TabularModel:
    """An ONNX file, checked in a child process and then against the table (input names or width, task,
    classes)."""
    from ..model_check import check_model_bytes

    data = read_model_bytes(path)
    sample = frame_sample(dataset) or {}
    codes = dataset.to_codes(dataset.features.iloc[: min(16, len(dataset.features))])
    sample["rows"] = [[None if v != v else float(v) for v in row] for row in codes.tolist()]
    facts = check_model_bytes(data, path.name, "onnx", {"features": len(dataset.feature_names)}, sample=sample)
    try:
        session = new_session(data)
    except Exception:
        raise InputError(key="errors.model_kinds.unreadable", name=path.name, kind="ONNX",
                         advice="skl2onnx.to_onnx(model, ...)") from None
    inputs = session.get_inputs()
    names = [spec.name for spec in inputs]
    per_column = not (len(inputs) == 1 and len(inputs[0].shape or []) == 2
                      and isinstance(inputs[0].shape[1], int) and inputs[0].shape[1] > 1
                      and inputs[0].type in NUMBER_TYPES and names[0] not in dataset.info)
    if per_column:
        if set(names) != set(dataset.feature_names):
            check_features(names, dataset)  # the sets differ, so this names what is missing and what is extra
        # Text into a numeric column cannot be what the model was trained on; codes into a category can be.
        wrong = [spec.name for spec in inputs
                 if spec.type == "tensor(string)" and dataset.info[spec.name].kind != "categorical"]
        if wrong:
            raise InputError(key="errors.model_kinds.categorical_mismatch", columns=", ".join(wrong))
    else:
        width = int(inputs[0].shape[1])
        if width != len(dataset.feature_names):
            raise InputError(key="errors.model_kinds.width_mismatch", name=path.name, model=width,
                             table=len(dataset.feature_names))
    classifier = bool(facts.get("classifier"))
    check_task(classifier, dataset)
    classes: tuple[str, ...] = ()
    labels = list(facts.get("classes") or [])
    if classifier:
        if not labels:
            raise InputError(key="errors.model_kinds.onnx_no_probabilities")
        if len(labels) != len(dataset.classes):
            raise InputError(key="errors.model_kinds.class_count", model=len(labels), table=len(dataset.classes),
                             classes=", ".join(dataset.classes))
        classes = class_names(labels, dataset)
    runner = OnnxRunner(session, dataset, per_column, classifier, labels or None, data)
    return TabularModel(
        runner,
        kind="onnx",
        dataset=dataset,
        classes=classes,
        model_hash=hash_bytes(data),
        source=path.name,
        details={"type": "ONNX", "producer": str(facts.get("producer") or "")[:60],
                 "inputs": "per column" if per_column else "one tensor"},
    )
