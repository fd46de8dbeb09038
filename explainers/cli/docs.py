"""``docs``: the documentation folder in one command: the model card, the transparency report, the use case as
used, the screenshots with their manifest and captions, and ``SHA256SUMS`` of every file, all under one stamp
(data and model SHA-256, package versions, seed, time).

``python -m explainers docs --data PATH --target COL [--model PATH] [--use-case FILE] [--rows 3,17] --out DIR
[--lang pt-BR] [--pages ...] [--width 1366|1920] [--presentation] [--no-screenshots]``

Without ``--use-case`` every use-case field is "not stated": the product never writes for a person. The
screenshots show the dashboard, which serves the built-in datasets with their default model; for another table
or model they are skipped with a notice (the documents are still written).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from ..documents import EXTENSIONS, write_bytes
from ..errors import InputError
from ..i18n import translator
from ..model_card import build_model_card, use_case_template
from ..report import UseCase, build_report, compute_stamp, quote
from .common import add_language_option, add_workspace_options, workspace_from_args
from .report import parse_rows
from .screenshots import (
    ShotError,
    Upload,
    add_shot_options,
    choose_pages,
    screenshot_stamp,
    take_screenshots,
    write_manifest,
)

FORMATS = ("html", "markdown", "pdf")
SUMS = "SHA256SUMS"


def register(commands) -> None:
    """Add the ``docs`` subcommand to ``python -m explainers``."""
    parser = commands.add_parser(
        "docs", help="write the documentation folder: model card, transparency report, screenshots, SHA256SUMS",
        description="Write a documentation folder: the model card and the transparency report (HTML, Markdown, "
                    "PDF), the use case, screenshots of every page with manifest.json and captions.md, and "
                    "SHA256SUMS; one stamp for all.")
    add_workspace_options(parser)
    parser.add_argument("--use-case", dest="use_case", help="use-case TOML (python -m explainers use-case --template)")
    parser.add_argument("--rows", default="0", help="rows the report explains, from 0 (default 0); the first is "
                                                    "the row of the screenshots")
    parser.add_argument("--out", required=True, help="folder to write (created if needed)")
    add_language_option(parser, help="language of every document and screenshot")
    parser.add_argument("--seed", type=int, default=0, help="seed of LIME, counterfactuals and samples (default 0)")
    add_shot_options(parser)
    parser.add_argument("--no-screenshots", dest="screenshots", action="store_false",
                        help="write the documents only")
    parser.set_defaults(handler=run)


def sha256_sums(folder: Path) -> Path:
    """``SHA256SUMS`` of every file under ``folder`` (as ``sha256sum -c`` reads it), in path order."""
    lines = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != SUMS):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{digest}  {path.relative_to(folder).as_posix()}")
    return write_bytes(folder / SUMS, ("\n".join(lines) + "\n").encode("utf-8"))


def command_line(args: argparse.Namespace, rows: list[int]) -> str:
    """The ``docs`` command that rebuilds this folder."""
    parts = ["python -m explainers docs", f"--data {quote(str(args.data))}"]
    for option, value in (("--target", args.target), ("--spec", args.spec), ("--model", args.model),
                          ("--use-case", args.use_case), ("--pages", args.pages)):
        if value:
            parts.append(f"{option} {quote(str(value))}")
    if args.allow_pickle:
        parts.append("--allow-pickle")
    parts += [f"--rows {','.join(map(str, rows))}", f"--lang {args.lang}", f"--seed {args.seed}",
              f"--width {args.width}"]
    if args.presentation:
        parts.append("--presentation")
    if not args.screenshots:
        parts.append("--no-screenshots")
    return " ".join([*parts, f"--out {quote(str(args.out))}"])


def run(args: argparse.Namespace) -> int:
    """``python -m explainers docs``: every document under one stamp, then the screenshots, then the sums."""
    rows = parse_rows(args.rows)
    pages = choose_pages(args.pages) if args.screenshots else []
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(key="errors.cli.cannot_create", out=out, reason=exc.strerror or type(exc).__name__) \
            from None
    use_case = UseCase.from_toml(args.use_case) if args.use_case else UseCase()
    workspace = workspace_from_args(args)
    stamp = compute_stamp(workspace, str(args.data), args.model, args.seed)
    lang = args.lang

    def written(path: Path) -> None:
        print(f"wrote {path}", flush=True)

    card = build_model_card(workspace, use_case, lang, stamp=stamp)
    for fmt in FORMATS:
        written(write_bytes(out / f"model_card.{EXTENSIONS[fmt]}", card.to_bytes(fmt)))
    report = build_report(workspace, rows, use_case, lang=lang, data_path=str(args.data), model_path=args.model,
                          seed=args.seed, command=command_line(args, rows), stamp=stamp)
    for fmt in FORMATS:
        written(write_bytes(out / f"transparency_report.{EXTENSIONS[fmt]}", report.to_bytes(fmt)))
    written(write_bytes(out / "use_case.toml", use_case_template(lang, use_case).encode("utf-8")))
    written(write_bytes(out / "stamp.json", (json.dumps(stamp.to_dict(), ensure_ascii=False, indent=2) + "\n")
                        .encode("utf-8")))

    if pages:
        shots_for(args, workspace, stamp, rows[0], pages, out / "screenshots", written)
    written(sha256_sums(out))
    return 0


def shots_for(args: argparse.Namespace, workspace, stamp, row: int, pages: list[str], folder: Path, written) -> None:
    """The screenshots of what the documents describe: a built-in dataset with its default model as the app
    serves it, or the table uploaded on the Data source page (the app trains the same default model on it);
    anything else (a model file) is skipped with a notice, as is an upload whose hashes differ."""
    from ..data import DEFAULT_DATASET

    tr, name = translator(args.lang), workspace.dataset.spec.name
    shown = _app_stamp(name)
    options = {"row": row, "lang": args.lang, "pages": pages, "width": args.width,
               "on_shot": lambda s: written(folder / s.file)}
    try:
        if shown is not None and (shown.model_sha256, shown.data_content_sha256) == (stamp.model_sha256,
                                                                                    stamp.data_content_sha256):
            shots = take_screenshots(folder, dataset=name, presentation=args.presentation, **options)
            title = None
        elif args.model is None and Path(str(args.data)).is_file():
            upload = Upload(Path(args.data), args.target, Path(args.spec) if args.spec else None,
                            stamp.model_sha256, stamp.data_content_sha256)
            shots = take_screenshots(folder, dataset=DEFAULT_DATASET, upload=upload, **options)
            title = f"{workspace.dataset.spec.display_title(args.lang)} ({Path(args.data).name})"
        else:
            print(tr("docs.cli.screenshots_skipped", reason=tr("docs.cli.reason_model")), file=sys.stderr)
            return
    except ShotError as error:
        if shown is not None or args.model is not None:
            raise
        print(tr("docs.cli.screenshots_skipped", reason=error.text(args.lang)), file=sys.stderr)
        return
    dataset = shots[0].checked["view"]["dataset"] if shots else name
    for path in write_manifest(folder, shots, dataset=dataset, row=row, lang=args.lang, width=args.width,
                               presentation=args.presentation and title is None, stamp=stamp, title=title):
        written(path)


def _app_stamp(name: str):
    """The stamp of what the dashboard shows for ``name`` (a built-in dataset and its default model), or None."""
    from ..data import builtin_names

    return screenshot_stamp(name) if name in builtin_names() else None
