"""Row filters that users type (``batch --where``), parsed and evaluated without ``eval``.

``pandas.DataFrame.eval`` and ``query`` run arbitrary Python (``@pd.io.common.os.system(...)``,
``score.to_csv('/path')``). Here an expression is parsed with :mod:`ast` and only these forms are accepted:

- column names (``score``, ``Age``; a name with spaces or symbols in backticks, as in pandas: ```my col```);
- literals: numbers, strings, ``True``, ``False``, ``None``; a unary minus (or plus) before a number or column;
- comparisons ``==  !=  <  <=  >  >=``, chained (``0.2 < score < 0.5``);
- ``in`` / ``not in`` with a list or tuple of literals (``Home in ['rent', 'owner']``);
- ``and``, ``or``, ``not`` and parentheses; a boolean column on its own.

``col == None`` picks missing values and ``col != None`` filled ones; any other comparison with a missing
value is false (pandas semantics). The mask is built with pandas operations on the frame's columns. Anything
else raises :class:`~explainers.errors.InputError` with one line; nothing is ever executed.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import InputError

MAX_LENGTH = 2000
MAX_NODES = 400
MAX_DEPTH = 40
_COMPARISONS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_EXAMPLE = 'for example "score < 0.5 and Home in [\'rent\', \'owner\']"'


@dataclass(frozen=True)
class RowFilter:
    """A parsed filter: call :meth:`mask` on a frame with the columns it names."""

    text: str
    tree: ast.Expression
    columns: dict[str, str]  # placeholder identifier -> column name (backticked names)

    @property
    def names(self) -> list[str]:
        """The column names the filter uses, in order of appearance."""
        out: list[str] = []
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Name):
                name = self.columns.get(node.id, node.id)
                if name not in out:
                    out.append(name)
        return out

    def mask(self, frame: pd.DataFrame) -> np.ndarray:
        """The rows the filter picks, as a boolean array as long as ``frame``."""
        missing = [n for n in self.names if n not in frame.columns]
        if missing:
            shown = ", ".join(map(str, list(frame.columns)[:30]))
            raise _error(self.text, f" names unknown column {missing[0]!r}; choose among: {shown}.")
        try:
            with np.errstate(all="ignore"):
                value = _Evaluator(frame, self.columns, self.text).boolean(self.tree.body)
        except InputError:
            raise
        except Exception as exc:  # a comparison pandas cannot make (e.g. text < number)
            reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
            raise _error(self.text, f" could not be evaluated ({reason}); compare each column with "
                             f"values of its own kind, {_EXAMPLE}.") from None
        return value


class FilterError(InputError):
    """A filter that is refused: ``detail`` says why, without the filter's text."""

    def __init__(self, text: str, detail: str):
        shown = text if len(text) <= 80 else text[:77] + "..."
        self.text = text
        self.detail = detail.lstrip(": ")
        super().__init__(f"the filter {shown!r}{detail}")


def _error(text: str, detail: str) -> FilterError:
    return FilterError(text, detail)


def _backticks(text: str) -> tuple[str, dict[str, str]]:
    """Replace ```name``` (outside string literals) with placeholder identifiers."""
    out: list[str] = []
    columns: dict[str, str] = {}
    i, quote = 0, None
    while i < len(text):
        ch = text[i]
        if quote:
            out.append(ch)
            if ch == "\\" and i + 1 < len(text):
                out.append(text[i + 1])
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
            out.append(ch)
        elif ch == "`":
            end = text.find("`", i + 1)
            if end < 0:
                raise _error(text, " opens a backtick that is never closed; close it after the name.")
            name = text[i + 1:end]
            if not name:
                raise _error(text, " has an empty backtick name; put a column name between them.")
            placeholder = f"__column_{len(columns)}__"
            columns[placeholder] = name
            out.append(f" {placeholder} ")
            i = end + 1
            continue
        else:
            out.append(ch)
        i += 1
    return "".join(out), columns


def parse_filter(text: str) -> RowFilter:
    """Parse a filter; InputError (one line) for anything outside the small language above."""
    if not isinstance(text, str) or not text.strip():
        raise _error("", f" is empty; write a condition, {_EXAMPLE}.")
    if len(text) > MAX_LENGTH:
        raise _error(text[:40], f" is {len(text):,} characters long, more than {MAX_LENGTH:,}; shorten it.")
    if any(ord(ch) < 32 and ch not in "\t" for ch in text):
        raise _error(text.replace("\n", " ")[:40], " contains control characters or line breaks; write it on one "
                     "line.")
    source, columns = _backticks(text)
    source = source.strip()
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        raise _error(text, f" is not a valid condition; {_EXAMPLE}.") from None
    _check(tree, text, columns)
    return RowFilter(text, tree, columns)


def _check(tree: ast.Expression, text: str, columns: dict[str, str]) -> None:
    """Only the allowed node types, and not too many or too deep."""
    count = 0
    stack: list[tuple[ast.AST, int]] = [(tree.body, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES or depth > MAX_DEPTH:
            raise _error(text, " is too long or nested too deeply; simplify it.")
        if isinstance(node, ast.BoolOp):
            stack.extend((v, depth + 1) for v in node.values)
        elif isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                stack.append((node.operand, depth + 1))
            elif isinstance(node.op, ast.USub | ast.UAdd):
                if not isinstance(node.operand, ast.Constant | ast.Name | ast.UnaryOp):
                    raise _not_allowed(text, "arithmetic")
                stack.append((node.operand, depth + 1))
            else:
                raise _not_allowed(text, "the operator ~")
        elif isinstance(node, ast.Compare):
            for op, right in zip(node.ops, node.comparators, strict=True):
                if isinstance(op, ast.In | ast.NotIn):
                    if not isinstance(right, ast.List | ast.Tuple):
                        raise _error(text, ": 'in' needs a list of values, such as [1, 2] or "
                                         "['a', 'b'].")
                    if len(right.elts) > 1000:
                        raise _error(text, " lists more than 1,000 values; shorten the list.")
                    for element in right.elts:
                        if not _is_literal(element):
                            raise _error(text, ": the list after 'in' may hold only numbers, texts, "
                                             "True, False or None.")
                elif type(op) not in _COMPARISONS:
                    raise _not_allowed(text, "the operator " + type(op).__name__)
                else:
                    stack.append((right, depth + 1))
            stack.append((node.left, depth + 1))
        elif isinstance(node, ast.Name):
            if node.id.startswith("__") and node.id not in columns:
                raise _error(text, f" names {node.id!r}, which is not a column; use column names only.")
        elif isinstance(node, ast.Constant):
            if not isinstance(node.value, int | float | str | bool | type(None)):
                raise _not_allowed(text, "this kind of value")
        elif isinstance(node, ast.Call):
            raise _not_allowed(text, "function calls")
        elif isinstance(node, ast.Attribute):
            raise _not_allowed(text, "attributes (a.b)")
        elif isinstance(node, ast.Subscript):
            raise _not_allowed(text, "indexing (a[b])")
        elif isinstance(node, ast.BinOp):
            raise _not_allowed(text, "arithmetic and the operators & | ^")
        elif isinstance(node, ast.List | ast.Tuple | ast.Set | ast.Dict):
            raise _not_allowed(text, "a list outside 'in [...]'")
        else:
            raise _not_allowed(text, type(node).__name__)


def _not_allowed(text: str, what: str) -> InputError:
    return _error(text, f" uses {what}, which a filter does not allow; use column names, values, "
                      f"comparisons, in [...], and, or, not: {_EXAMPLE}.")


def _is_literal(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, int | float | str | bool | type(None))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        return isinstance(node.operand, ast.Constant) and isinstance(node.operand.value, int | float) \
            and not isinstance(node.operand.value, bool)
    return False


def _literal(node: ast.AST):
    if isinstance(node, ast.Constant):
        return node.value
    value = _literal(node.operand)
    return -value if isinstance(node.op, ast.USub) else +value


class _Evaluator:
    def __init__(self, frame: pd.DataFrame, columns: dict[str, str], text: str):
        self.frame = frame
        self.columns = columns
        self.text = text
        self.rows = len(frame)

    def boolean(self, node: ast.AST) -> np.ndarray:
        """A node that must give true or false for each row."""
        if isinstance(node, ast.BoolOp):
            parts = [self.boolean(v) for v in node.values]
            out = parts[0].copy()
            for part in parts[1:]:
                out = out & part if isinstance(node.op, ast.And) else out | part
            return out
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return ~self.boolean(node.operand)
        if isinstance(node, ast.Compare):
            out = np.ones(self.rows, dtype=bool)
            left = node.left
            for op, right in zip(node.ops, node.comparators, strict=True):
                out &= self.compare(left, op, right)
                left = right
            return out
        if isinstance(node, ast.Constant) and isinstance(node.value, bool):
            return np.full(self.rows, node.value, dtype=bool)
        if isinstance(node, ast.Name):
            column = self.column(node)
            if pd.api.types.is_bool_dtype(column.dtype):
                return column.fillna(False).to_numpy(dtype=bool)
            raise _error(self.text, f": column {self.columns.get(node.id, node.id)!r} is not true/false "
                             "on its own; compare it with a value, such as \"score < 0.5\".")
        raise _error(self.text, " does not give true or false for each row; write a condition such "
                         "as \"score < 0.5\".")

    def column(self, node: ast.Name) -> pd.Series:
        name = self.columns.get(node.id, node.id)
        column = self.frame[name]
        if isinstance(column, pd.DataFrame):
            raise _error(self.text, f": column {name!r} appears more than once in the table.")
        return column

    def value(self, node: ast.AST):
        """A column (Series) or a literal."""
        if isinstance(node, ast.Name):
            return self.column(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            inner = self.value(node.operand)
            if isinstance(inner, pd.Series):
                if not pd.api.types.is_numeric_dtype(inner.dtype) or pd.api.types.is_bool_dtype(inner.dtype):
                    raise _error(self.text, ": a minus sign needs a numeric column.")
                return -inner if isinstance(node.op, ast.USub) else inner
            if isinstance(inner, bool) or not isinstance(inner, int | float):
                raise _error(self.text, ": a minus sign needs a number.")
            return -inner if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.Constant):
            return node.value
        raise _error(self.text, ": compare columns and values, not conditions; use parentheses and "
                         "and/or between comparisons.")

    def compare(self, left: ast.AST, op: ast.cmpop, right: ast.AST) -> np.ndarray:
        if isinstance(op, ast.In | ast.NotIn):
            subject = self.value(left)
            if not isinstance(subject, pd.Series):
                raise _error(self.text, ": put a column before 'in'.")
            values = [_literal(e) for e in right.elts]
            picked = np.array(_plain(subject).isin([v for v in values if v is not None]), dtype=bool)
            if any(v is None for v in values):
                picked |= subject.isna().to_numpy(dtype=bool)
            return ~picked if isinstance(op, ast.NotIn) else picked
        a, b = self.value(left), self.value(right)
        symbol = _COMPARISONS[type(op)]
        if a is None or b is None:
            other = b if a is None else a
            if symbol not in ("==", "!="):
                raise _error(self.text, ": only == None and != None make sense with None.")
            if not isinstance(other, pd.Series):
                same = other is None
                return np.full(self.rows, same if symbol == "==" else not same, dtype=bool)
            missing = other.isna().to_numpy(dtype=bool)
            return missing if symbol == "==" else ~missing
        if not isinstance(a, pd.Series) and not isinstance(b, pd.Series):
            result = {"==": a == b, "!=": a != b}.get(symbol)
            if result is None:
                try:
                    result = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[symbol]
                except TypeError:
                    raise _error(self.text, " compares values of different kinds.") from None
            return np.full(self.rows, bool(result), dtype=bool)
        a, b = _plain(a), _plain(b)
        if symbol == "==":
            out = a == b
        elif symbol == "!=":
            out = a != b
        elif symbol == "<":
            out = a < b
        elif symbol == "<=":
            out = a <= b
        elif symbol == ">":
            out = a > b
        else:
            out = a >= b
        out = pd.Series(out) if not isinstance(out, pd.Series) else out
        return out.fillna(symbol == "!=").to_numpy(dtype=bool)


def _plain(value):
    """Categorical columns compare as their values (an unordered category cannot use < otherwise)."""
    if isinstance(value, pd.Series) and isinstance(value.dtype, pd.CategoricalDtype):
        return value.astype(object).where(value.notna(), np.nan)
    return value


def select_rows(frame: pd.DataFrame, text: str) -> np.ndarray:
    """The rows of ``frame`` that the filter ``text`` picks (boolean array); InputError for a bad filter."""
    return parse_filter(text).mask(frame)
