"""``report``: a transparency report (HTML, Markdown or PDF) for some rows, with the command that rebuilds it."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from ..errors import InputError
from ..i18n import languages
from ..report import UseCase, build_report, default_use_case, quote, report_format
from .common import add_language_option, add_workspace_options, out_path, workspace_from_args, write_bytes


def register(commands) -> argparse.ArgumentParser:
    """Add the ``report`` subcommand to ``python -m explainers``."""
    report = commands.add_parser(
        "report", help="write a transparency report (HTML, Markdown or PDF) for some rows",
        description="Write a transparency report: use case, data, model and test metrics, global and local "
                    "explanations, counterfactuals, trust signals, methods and caveats, reproducibility stamp.",
    )
    add_workspace_options(report)
    report.add_argument("--immutable", help="comma-separated features that must not change")
    report.add_argument("--rows", required=True, help="comma-separated row positions, from 0 (e.g. 3,17)")
    report.add_argument("--out", required=True, help="output file: .html, .md or .pdf")
    add_language_option(report, help="language of the report")
    report.add_argument("--use-case", dest="use_case",
                        help="TOML file with name, purpose, intended_users, decisions, limitations")
    report.add_argument("--seed", type=int, default=0, help="seed of LIME, counterfactuals and samples (default 0)")
    report.add_argument("--monitor", metavar="CURRENT",
                        help="a current table (CSV/Parquet) or batch results folder: adds a monitoring section "
                             "(drift since the reference)")
    report.set_defaults(handler=run)
    return report


def parse_rows(text: str) -> list[int]:
    """``"3,17"`` → ``[3, 17]``; InputError for anything else."""
    parts = [p.strip() for p in str(text).split(",") if p.strip()]
    if not parts:
        raise InputError(key="errors.cli.no_rows")
    rows = []
    for part in parts:
        if not re.fullmatch(r"\d+", part):
            raise InputError(key="errors.cli.bad_row", part=part)
        rows.append(int(part))
    return rows


def command_line(settings: argparse.Namespace, rows: list[int], lang: str, use_case_file, out: Path) -> str:
    """The ``python -m explainers report`` command that rebuilds this report."""
    parts = ["python -m explainers report", f"--data {quote(str(settings.data))}"]
    for option, value in (("--target", settings.target), ("--spec", settings.spec), ("--model", settings.model),
                          ("--immutable", settings.immutable), ("--use-case", use_case_file),
                          ("--monitor", getattr(settings, "monitor", None))):
        if value:
            parts.append(f"{option} {quote(str(value))}")
    if settings.allow_pickle:
        parts.append("--allow-pickle")
    parts += [f"--rows {','.join(map(str, rows))}", f"--lang {lang}", f"--seed {settings.seed}",
              f"--out {quote(str(out))}"]
    return " ".join(parts)


def run(args: argparse.Namespace) -> int:
    """``python -m explainers report``: check the options, build the report, write it; returns 0."""
    fmt = report_format(args.out)
    out = out_path(args.out)
    rows = parse_rows(args.rows)
    lang = getattr(args, "lang", "en") or "en"
    if lang not in languages():
        raise InputError(key="errors.base.unknown_language", lang=repr(lang), choices=', '.join(languages()))
    use_case_file = getattr(args, "use_case", None)
    settings = argparse.Namespace(
        data=args.data, target=getattr(args, "target", None), spec=getattr(args, "spec", None),
        model=getattr(args, "model", None), allow_pickle=bool(getattr(args, "allow_pickle", False)),
        immutable=getattr(args, "immutable", None), seed=int(getattr(args, "seed", 0) or 0),
        monitor=getattr(args, "monitor", None),
    )
    use_case = UseCase.from_toml(use_case_file) if use_case_file else None
    workspace = workspace_from_args(settings)
    if use_case is None:
        use_case = default_use_case(workspace.dataset.spec, lang)
    monitoring = None
    if settings.monitor:
        from ..monitoring import monitor, prepare_reference, read_path

        monitoring = monitor(prepare_reference(workspace.dataset, workspace.model),
                             read_path(settings.monitor, workspace.dataset, workspace.model))
    report = build_report(workspace, rows, use_case, lang=lang, data_path=str(settings.data),
                          model_path=settings.model, seed=settings.seed,
                          command=command_line(settings, rows, lang, use_case_file, out), monitoring=monitoring)
    data = report.to_bytes(fmt)
    write_bytes(out, data)
    print(f"wrote {out} ({len(data):,} bytes)")
    return 0
