"""Personal data: found, kept out of the model, masked wherever it would be shown, and small groups suppressed.

The heart of it is a seeded table with planted names, CPFs, CNPJs, e-mails, phones and addresses: none of their raw
values may appear in any page's text (AppTest, every page), a download, a report (HTML, Markdown, PDF), the command
line's JSON and text, a batch output or a decision notice. Unmasking (with a reason) is the control: the same text
collector then does see them.
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from explainers import InputError, build_workspace, load_builtin
from explainers.cli import main
from explainers.data import DATASETS_DIR, builtin_names, builtin_spec, read_table
from explainers.privacy import (
    detect_pii,
    find_personal,
    is_email,
    is_ip,
    is_phone,
    looks_like_name,
    mask_frame,
    partial_mask,
    privacy_key,
    pseudonym,
    valid_card,
    valid_cnpj,
    valid_cpf,
)
from explainers.privacy.mask import _key_file
from explainers.spec import spec_from_mapping
from tests.apptest_support import each_section, vega_specs

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = ["pages/overview.py", "pages/data_source.py", "pages/global_explanations.py", "pages/local_explanation.py",
         "pages/what_if.py", "pages/counterfactuals.py", "pages/responsible_ai.py", "pages/compare.py",
         "pages/errors.py", "pages/report.py", "pages/batch_results.py", "pages/monitoring.py", "pages/notice.py",
         "pages/cases.py", "pages/audit.py"]
TARGET = "resultado"
# The planted columns, what detection must call them, and whether the name alone gives them away.
PLANTED = {"cliente": "person_name", "doc": "cpf", "empregador": "cnpj", "contato": "email", "numero": "phone",
           "endereco": "address"}

# --------------------------------------------------------------------------------------------
# A seeded table with planted personal data


def _cpf(rng: np.random.Generator) -> str:
    base = [int(d) for d in rng.integers(0, 10, 9)]
    for _ in range(2):
        rest = sum(n * w for n, w in zip(base, range(len(base) + 1, 1, -1), strict=True)) % 11
        base.append(0 if rest < 2 else 11 - rest)
    text = "".join(map(str, base))
    return f"{text[:3]}.{text[3:6]}.{text[6:9]}-{text[9:]}"


def _cnpj(rng: np.random.Generator) -> str:
    base = [int(d) for d in rng.integers(0, 10, 8)] + [0, 0, 0, 1]
    for _ in range(2):
        weights = list(range(len(base) - 7, 1, -1)) + list(range(9, 1, -1))
        rest = sum(v * w for v, w in zip(base, weights, strict=True)) % 11
        base.append(0 if rest < 2 else 11 - rest)
    t = "".join(map(str, base))
    return f"{t[:2]}.{t[2:5]}.{t[5:8]}/{t[8:12]}-{t[12:]}"


FIRST = ["Maria", "João", "Ana", "Pedro", "Juliana", "Carlos", "Fernanda", "Lucas", "Beatriz", "Rafael"]
LAST = ["Souza", "Pereira", "Lima", "Costa", "Almeida", "Ribeiro", "Carvalho", "Gomes", "Martins", "Rocha"]
STREETS = ["Rua das Flores", "Avenida Brasil", "Rua Sete de Setembro", "Travessa do Comércio", "Alameda Santos"]


def planted_table(n: int = 240, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    renda = rng.normal(5000, 1500, n).round(0)
    prazo = rng.integers(6, 60, n)
    score = (renda - 5000) / 1500 - (prazo - 30) / 20 + rng.normal(0, 0.7, n)
    names = [f"{FIRST[rng.integers(10)]} {LAST[rng.integers(10)]} {LAST[rng.integers(10)]}" for _ in range(n)]
    return pd.DataFrame({
        "cliente": names,
        "doc": [_cpf(rng) for _ in range(n)],
        "empregador": [_cnpj(rng) for _ in range(n)],
        "contato": [f"pessoa{i}.{LAST[i % 10].lower()}@example.com" for i in range(n)],
        "numero": [f"+55 ({rng.integers(11, 99)}) 9{rng.integers(1000, 9999)}-{rng.integers(1000, 9999)}"
                   for _ in range(n)],
        "endereco": [f"{STREETS[rng.integers(5)]}, {rng.integers(10, 2000)}" for _ in range(n)],
        "idade": rng.integers(18, 75, n),
        "renda": renda,
        "prazo": prazo,
        "regiao": rng.choice(["norte", "sul", "leste", "oeste"], n),
        TARGET: np.where(score > 0, "aprovado", "negado"),
    })


def raw_forms(frame: pd.DataFrame, columns=PLANTED) -> set[str]:
    """Every planted value as written, and the digits alone of documents and phones."""
    forms = set()
    for column in columns:
        for value in frame[column].astype(str):
            forms.add(value)
            digits = re.sub(r"\D", "", value)
            if len(digits) >= 10:
                forms.add(digits)
    return forms


def leaked(text: str, forms: set[str]) -> list[str]:
    return sorted(f for f in forms if f in text)


@pytest.fixture(scope="module")
def planted() -> pd.DataFrame:
    return planted_table()


@pytest.fixture(scope="module")
def planted_ws(planted):
    return build_workspace(planted, TARGET)


# --------------------------------------------------------------------------------------------
# Recognisers: published valid and invalid examples


@pytest.mark.parametrize("value", ["529.982.247-25", "111.444.777-35", "52998224725", "390.533.447-05"])
def test_valid_cpfs(value):
    assert valid_cpf(value)


@pytest.mark.parametrize("value", ["529.982.247-24", "111.444.777-53", "111.111.111-11", "000.000.000-00",
                                   "123.456.789-00", "5299822472", "529.982.247-2x", ""])
def test_invalid_cpfs(value):
    assert not valid_cpf(value)


@pytest.mark.parametrize("value", ["11.222.333/0001-81", "11.444.777/0001-61", "11222333000181",
                                   "12.ABC.345/01DE-35"])  # the last: Receita Federal's alphanumeric example
def test_valid_cnpjs(value):
    assert valid_cnpj(value)


@pytest.mark.parametrize("value", ["11.222.333/0001-80", "11.444.777/0001-16", "00.000.000/0000-00",
                                   "11.111.111/1111-11", "12.ABC.345/01DE-53", "11.222.333/0001"])
def test_invalid_cnpjs(value):
    assert not valid_cnpj(value)


def test_other_recognisers_on_known_examples():
    assert valid_card("4111 1111 1111 1111") and valid_card("5500-0000-0000-0004") and valid_card("378282246310005")
    assert not valid_card("4111 1111 1111 1112") and not valid_card("1234 5678 9012 3456")
    assert is_email("ana.souza+x@example.com.br") and not is_email("ana@") and not is_email("a b@c.com")
    for phone in ("(11) 91234-5678", "+55 11 91234-5678", "+44 20 7946 0958", "+1 (202) 555-0143"):
        assert is_phone(phone), phone
    for other in ("2018-01-15", "12345", "3.900000095367432", "1234567890", "529.982.247-25"):
        assert not is_phone(other), other
    assert is_ip("192.168.0.1") and is_ip("2001:db8::1") and not is_ip("1.2.3") and not is_ip("300.1.1.1")
    assert looks_like_name("Maria da Silva") and looks_like_name("John Smith")
    assert not looks_like_name("customer service") and not looks_like_name("Registered Nurse")


# --------------------------------------------------------------------------------------------
# Detection


def test_detection_finds_every_planted_column_and_says_why(planted):
    found = {f.column: f for f in detect_pii(planted, exclude=[TARGET])}
    assert {c: f.kind for c, f in found.items()} == PLANTED
    assert found["doc"].share == 1.0 and found["doc"].word is None  # by content alone
    assert found["endereco"].share is None and found["endereco"].word == "endereco"  # by name alone
    assert "CPF" in found["doc"].reason.text("en") and "CPF" in found["doc"].reason.text("pt-BR")


@pytest.mark.parametrize("name", builtin_names())
def test_no_false_positive_on_the_built_in_datasets(name):
    spec = builtin_spec(name)
    if spec.loader:
        from sklearn.datasets import load_breast_cancer  # the only loader a spec names

        frame = load_breast_cancer(as_frame=True).frame
    else:
        frame = read_table(DATASETS_DIR / str(spec.source))
    found = {f.column for f in detect_pii(frame, exclude=[spec.target])}
    synthetic = set(spec.pii or ())  # credit's synthetic identifiers: found, and nothing else
    assert found == synthetic
    if name == "credit":
        assert synthetic == {"nome", "cpf", "email", "telefone"}


def test_column_names_in_english_and_portuguese():
    frame = pd.DataFrame({c: ["x"] * 5 for c in ("nome", "Name", "E-mail", "telefone", "phone", "CPF", "cnpj",
                                                "Endereço", "address", "id de conta", "customerId", "Income",
                                                "rownames", "num_accounts")})
    found = {f.column: f.kind for f in detect_pii(frame)}
    assert found == {"nome": "person_name", "Name": "person_name", "E-mail": "email", "telefone": "phone",
                     "phone": "phone", "CPF": "cpf", "cnpj": "cnpj", "Endereço": "address", "address": "address",
                     "id de conta": "account", "customerId": "account"}


def test_documents_stored_as_numbers_are_found():
    rng = np.random.default_rng(1)
    cpfs = [int(re.sub(r"\D", "", _cpf(rng))) for _ in range(50)]
    found = detect_pii(pd.DataFrame({"x": cpfs, "y": rng.integers(10**9, 10**10, 50)}))
    assert [(f.column, f.kind) for f in found] == [("x", "cpf")]


# --------------------------------------------------------------------------------------------
# Masking and the key


def test_pseudonyms_are_stable_within_a_key_and_differ_across_keys():
    one, two = b"k" * 32, b"q" * 32
    assert pseudonym("Maria Souza", "person_name", one) == pseudonym("  maria  SOUZA ", "person_name", one)
    assert pseudonym("529.982.247-25", "cpf", one) == pseudonym("52998224725", "cpf", one)
    assert pseudonym("Maria Souza", "person_name", one) != pseudonym("Maria Souza", "person_name", two)
    assert pseudonym("Maria Souza", "person_name", one) != pseudonym("Mario Souza", "person_name", one)
    assert re.fullmatch(r"#[0-9a-f]{12}", pseudonym("ana@example.com", "email", one))
    assert partial_mask("529.982.247-25", "cpf") == "***.***.***-25"
    assert partial_mask("11.222.333/0001-81", "cnpj") == "**.***.***/****-81"
    assert partial_mask("(11) 91234-5678", "phone") == "(**) *****-**78"
    assert partial_mask("4111 1111 1111 1111", "card") == "**** **** **** 1111"
    frame = pd.DataFrame({"n": ["Ana Lima", None, "Ana Lima"], "v": [1, 2, 3]})
    masked = mask_frame(frame, {"n": "person_name"}, one)
    assert masked["n"][0] == masked["n"][2] != "Ana Lima" and masked["n"][1] is None
    assert masked["v"].tolist() == [1, 2, 3]


def test_the_key_file_is_made_once_owner_only_and_the_variable_wins(tmp_path):
    path = tmp_path / "var" / "privacy.key"
    first = _key_file(path)
    assert _key_file(path) == first and len(first) == 64
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert privacy_key({"XAI_PRIVACY_KEY": "a-long-enough-secret"}) == b"a-long-enough-secret"
    with pytest.raises(InputError) as caught:
        privacy_key({"XAI_PRIVACY_KEY": "short"})
    assert caught.value.key == "errors.privacy.short_key"


# --------------------------------------------------------------------------------------------
# Kept out of the model; the spec's pii list


def test_personal_columns_are_never_features(planted_ws, planted):
    dataset = planted_ws.dataset
    assert not set(PLANTED) & set(dataset.feature_names)
    assert set(dataset.feature_names) == {"idade", "renda", "prazo", "regiao"}
    assert dataset.spec.pii == tuple(PLANTED) and dataset.personal.in_model == ()
    assert any("kept out of the model" in n for n in dataset.notices)
    assert not set(PLANTED) & set(planted_ws.model.estimator.feature_names or [])
    assert dataset.personal.values["doc"].tolist() == planted["doc"].tolist()  # held apart, in memory


def test_the_built_in_example_keeps_its_synthetic_identifiers_out_of_the_model():
    dataset = load_builtin("credit")
    assert dataset.personal.declared and dataset.personal.columns == ["nome", "cpf", "email", "telefone"]
    assert not {"nome", "cpf", "email", "telefone"} & set(dataset.feature_names)
    assert len(dataset.feature_names) == 13
    assert all(valid_cpf(v) for v in dataset.personal.values["cpf"].head(200))


def test_the_spec_pii_list_is_checked(planted):
    spec = spec_from_mapping({"target": TARGET, "pii": ["doc", "nope"]}, "t")
    assert find_personal(planted, spec.pii, TARGET).columns == ["doc"]  # a table without a listed column is fine
    with pytest.raises(InputError) as caught:
        find_personal(planted, [TARGET], TARGET)
    assert caught.value.key == "errors.privacy.target_pii"
    with pytest.raises(InputError) as caught:
        spec_from_mapping({"target": TARGET, "pii": "doc"}, "t")
    assert caught.value.key == "errors.privacy.bad_pii_list"
    with pytest.raises(InputError):
        spec_from_mapping({"target": TARGET, "min_group_rows": 0}, "t")
    declared = find_personal(planted, ["cliente"], TARGET)  # the list, and only the list, when given
    assert declared.columns == ["cliente"] and declared.kinds == {"cliente": "person_name"} and declared.declared
    assert find_personal(planted, [], TARGET).columns == []
    ws = build_workspace(planted, TARGET, pii=["cliente", "doc", "empregador", "contato", "numero", "endereco"])
    assert set(ws.dataset.feature_names) == {"idade", "renda", "prazo", "regiao"}


def test_a_model_that_uses_a_personal_column_loads_and_is_flagged(tmp_path, planted):
    import xgboost as xgb

    from explainers.report import build_report, default_use_case

    frame = planted.assign(id_conta=np.arange(len(planted)) * 7 + 1000)
    features = frame[["idade", "renda", "prazo", "id_conta"]]  # in the order of the table
    model = xgb.XGBClassifier(n_estimators=10, max_depth=2).fit(features, (frame[TARGET] == "aprovado").astype(int))
    model.save_model(tmp_path / "m.json")
    table = frame.drop(columns=["regiao"])
    ws = build_workspace(table, TARGET, model_bytes=(tmp_path / "m.json").read_bytes(), model_name="m.json")
    assert ws.dataset.personal.in_model == ("id_conta",)
    assert "id_conta" in ws.dataset.feature_names and "doc" not in ws.dataset.feature_names
    assert any("uses personal data (id_conta)" in n for n in ws.dataset.notices)
    markdown = build_report(ws, [0], default_use_case(ws.dataset.spec, "en")).to_markdown()
    assert "the model uses personal data (id_conta)" in markdown.lower().replace("\\_", "_")
    # the default model on the same table never uses it
    assert "id_conta" not in build_workspace(table, TARGET).dataset.feature_names


# --------------------------------------------------------------------------------------------
# Small groups


def test_small_groups_are_counted_but_never_measured():
    from explainers.trust import fairness_metrics

    rng = np.random.default_rng(0)
    groups = np.array(["a"] * 60 + ["b"] * 50 + ["c"] * 4)
    truth = rng.choice(["yes", "no"], len(groups))
    predicted = rng.choice(["yes", "no"], len(groups))
    whole = fairness_metrics(truth, predicted, groups, favourable="yes")
    small = fairness_metrics(truth, predicted, groups, favourable="yes", min_group_rows=10)
    assert small.suppressed == ("c",) and small.groups.loc["c", "count"] == 4
    assert small.groups.loc["c"].drop("count").isna().all()
    assert small.groups.loc[["a", "b"]].equals(whole.groups.loc[["a", "b"]])
    measured = fairness_metrics(truth[:110], predicted[:110], groups[:110], favourable="yes")
    assert small.gaps == measured.gaps  # the gaps leave the small group out
    assert small.to_dict()["suppressed"] == ["c"] and small.to_dict()["min_group_rows"] == 10


def test_group_fairness_follows_the_spec_and_says_so(credit):
    from explainers.trust import group_fairness

    result = group_fairness(credit.model, "Marital")
    small = [g for g, n in result.groups["count"].items() if n < 10]
    assert small and list(result.metrics.suppressed) == small
    assert "fewer than 10 test rows" in result.to_dict()["summary"]
    assert "menos de 10 linhas de teste" in result.to_dict("pt-BR")["summary"]
    from explainers.report import build_report, default_use_case

    markdown = build_report(credit, [0], default_use_case(credit.dataset.spec, "en")).to_markdown()
    assert "fewer than 10 test rows" in markdown
    at = AppTest.from_file(APP, default_timeout=240)
    at.query_params["dataset"] = "credit"
    at.run()
    at.switch_page("pages/responsible_ai.py").run()
    at.button_group(key="rai_section").set_value("groups").run()
    at.selectbox(key="rai_feature").set_value("Marital").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("fewer than 10 test rows" in i.value and "divorced" in i.value for i in at.info)


def test_small_cohorts_show_no_errors_or_metrics(credit):
    from explainers.error_analysis import cohort_metrics

    result = cohort_metrics(credit.model, {"all": "", "divorced": "Marital == 'divorced'"}, resamples=50)
    assert result.suppressed == ("divorced",) and result.min_group_rows == 10
    small = result.table.loc["divorced"]
    assert 0 < small["rows"] < 10 and small.drop("rows").isna().all()
    assert result.table.loc["all", "errors"] > 0 and result.to_dict()["divorced"]["errors"] is None


# --------------------------------------------------------------------------------------------
# No raw value in any output


def test_no_raw_value_in_reports_notices_or_the_command_line(tmp_path, planted, planted_ws, capsys):
    from pypdf import PdfReader

    from explainers.oversight.notice import build_notice, write_notice
    from explainers.report import build_report, default_use_case

    forms = raw_forms(planted)
    assert forms and leaked(planted.to_csv(), forms)  # the control: the collector sees raw values
    rows = [0, 1, 2]
    for lang in ("en", "pt-BR"):
        report = build_report(planted_ws, rows, default_use_case(planted_ws.dataset.spec, lang), lang=lang)
        pdf = "".join(page.extract_text() for page in PdfReader(io.BytesIO(report.to_pdf())).pages)
        for text in (report.to_html(), report.to_markdown(), pdf, json.dumps(report.to_dict(), default=str)):
            assert not leaked(text, forms)
        notice = build_notice(planted_ws, 1, lang=lang)
        for suffix in ("md", "html", "pdf"):
            path, _ = write_notice(notice, tmp_path / f"n-{lang}.{suffix}")
            data = Path(path).read_bytes()
            text = ("".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages) if suffix == "pdf"
                    else data.decode())
            assert not leaked(text, forms)
    csv = tmp_path / "planted.csv"
    planted.to_csv(csv, index=False)
    for fmt in ("json", "text"):
        assert main(["explain", "--data", str(csv), "--target", TARGET, "--row", "2", "--format", fmt]) == 0
        out, err = capsys.readouterr()
        assert out and not leaked(out + err, forms)
    credit = load_builtin("credit")
    credit_forms = raw_forms(credit.personal.values, ["nome", "cpf", "email", "telefone"])
    for fmt in ("json", "text"):
        assert main(["explain", "--data", "credit", "--row", "3", "--format", fmt]) == 0
        out, err = capsys.readouterr()
        assert not leaked(out + err, credit_forms)
        if fmt == "json":
            result = json.loads(out)
            assert any("kept out of the model" in n for n in result["notices"])
            assert result["personal"]["row"]["cpf"] == "***.***.***-" + credit.personal.values["cpf"][3][-2:]
            assert [c["column"] for c in result["personal"]["columns"]] == ["nome", "cpf", "email", "telefone"]


def test_no_raw_value_in_a_batch_output_even_in_kept_columns(tmp_path, planted, planted_ws, capsys):
    from explainers.batch import open_results

    csv = tmp_path / "planted.csv"
    planted.assign(row_id=np.arange(len(planted))).to_csv(csv, index=False)
    model_path = tmp_path / "model.json"
    planted_ws.model.estimator.save_model(str(model_path))
    out = tmp_path / "out"
    code = main(["batch", "--data", str(csv), "--model", str(model_path), "--out", str(out), "--target", TARGET,
                 "--workers", "1", "--keep", "doc,cliente,contato,row_id"])
    assert code == 0, capsys.readouterr().err
    results = open_results(out)
    stored = pd.concat([pd.read_parquet(p) for p in results.files], ignore_index=True)
    assert stored["doc"].str.fullmatch(r"\*\*\*\.\*\*\*\.\*\*\*-\d\d").all()
    assert stored["cliente"].str.fullmatch(r"#[0-9a-f]{12}").all()
    assert sorted(stored["row_id"].astype(int)) == list(range(len(planted)))  # not personal: kept as it was
    text = stored.to_csv() + "".join(Path(p).read_bytes().decode("latin-1") for p in results.files)
    text += "".join(p.read_text() for p in out.glob("*.json"))
    assert not leaked(text, raw_forms(planted))


# --------------------------------------------------------------------------------------------
# Every page (AppTest), and unmasking with a reason


def page_text(at: AppTest) -> str:
    """Everything the page drew: each element's message (markdown, captions, metrics, charts and their hovers,
    widgets' options) and each table's values."""
    parts = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    for frame in at.dataframe:
        parts.append(frame.value.to_csv())
    for spec in vega_specs(at):  # a chart's rows travel as Arrow bytes beside its spec: read back as text
        parts.append(json.dumps(spec, ensure_ascii=False))
    return "\n".join(parts)


def upload_planted(frame: pd.DataFrame) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=240)
    at.run()
    at.switch_page("pages/data_source.py").run()
    at.file_uploader(key="data_table").set_value(("planted.csv", frame.to_csv(index=False).encode(),
                                                 "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_every_page_shows_personal_data_only_masked_until_unmasked_with_a_reason(planted):
    forms = raw_forms(planted)
    at = upload_planted(planted)
    assert at.multiselect(key="data_pii").value == list(PLANTED)  # proposed, for the user to confirm
    preview = at.dataframe[0].value
    assert preview["doc"].str.startswith("***.***.***-").all() and preview["renda"].notna().all()
    assert not leaked(page_text(at), forms)
    at.selectbox(key="data_target").set_value(TARGET).run()
    at.button(key="data_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    name = at.session_state["view"]["dataset"]
    assert name.startswith("upload:")
    for page in PAGES:
        at.switch_page(page).run()
        for section in each_section(at):
            assert not at.exception, (page, section, [e.value for e in at.exception])
            assert not leaked(page_text(at), forms), (page, section)
    at.switch_page("pages/local_explanation.py").run()
    assert any("***.***.***-" in c.value.replace("\\", "") for c in at.caption)  # the row's identity, masked
    at.switch_page("pages/overview.py").run()
    assert any(s.value == "Personal data" for s in at.subheader)
    at.button(key="privacy_unmask").click().run()  # no reason: refused
    assert at.error and not leaked(page_text(at), forms)
    at.text_input(key="privacy_reason").input("Customer asked for a copy of their record").run()
    at.button(key="privacy_unmask").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert leaked(page_text(at), forms)  # the control: unmasked, the same collector sees them
    from explainers.oversight.audit import entries
    from explainers.oversight.store import open_store

    recorded = entries(open_store(), action="data.unmasked")
    assert recorded and recorded[0].details["reason"] == "Customer asked for a copy of their record"
    assert recorded[0].details["columns"] == list(PLANTED)
    at.button(key="privacy_mask_again").click().run()
    assert not leaked(page_text(at), forms)


# --------------------------------------------------------------------------------------------
# In the browser: the built-in example, masked, then unmasked for this session with a reason


@pytest.mark.browser
def test_in_the_browser_the_overview_masks_the_example_until_a_reason_is_given(tmp_path):
    from tests.browser_support import (
        MAIN,
        assert_clean,
        chromium,
        full_screenshot,
        new_tab,
        open_page,
        require_chromium,
        screenshot_dir,
        settle,
        streamlit_server,
    )

    require_chromium()
    credit = load_builtin("credit")
    first_rows = raw_forms(credit.personal.values.head(5), ["nome", "cpf", "email", "telefone"])
    shots = screenshot_dir(tmp_path)
    with streamlit_server(tmp_path / "server") as server, chromium() as browser, new_tab(browser) as page:
        # Tables are drawn on a canvas: the row's identity caption on Local explanation is the text to read.
        open_page(page, server, "/local_explanation?dataset=credit&row=0")
        main = page.locator(MAIN)
        shown = main.inner_text()
        assert "***.***.***-" in shown and not leaked(shown, first_rows)
        open_page(page, server, "/?dataset=credit&row=0")
        assert_clean(page, server)
        main.get_by_text("Personal data", exact=True).first.wait_for()
        assert "kept out of the model" in main.inner_text() and not leaked(main.inner_text(), first_rows)
        full_screenshot(page, shots / "privacy-overview-masked.png")
        main.get_by_text("Show the real values (this session only)").click()
        reason = main.get_by_label("Why do you need to see them?", exact=True)
        reason.fill("Checking a customer's complaint about row 0")
        main.get_by_role("button", name="Unmask for this session").click()
        settle(page, server)
        main.get_by_text("Real values shown in this session only").first.wait_for()
        full_screenshot(page, shots / "privacy-overview-unmasked.png")
        page.get_by_role("link", name="Local explanation").first.click()
        settle(page, server)
        assert leaked(main.inner_text(), first_rows)  # the control: this session sees the real values
        page.get_by_role("link", name="Overview").first.click()
        settle(page, server)
        main.get_by_role("button", name="Mask again").click()
        settle(page, server)
        page.get_by_role("link", name="Local explanation").first.click()
        settle(page, server)
        assert "***.***.***-" in main.inner_text() and not leaked(main.inner_text(), first_rows)
        assert_clean(page, server)
