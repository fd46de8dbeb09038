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
from .screenshots import add_shot_options, choose_pages, screenshot_stamp, take_screenshots, write_manifest

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
    lang, tr = args.lang, translator(args.lang)

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
        name = workspace.dataset.spec.name
        shown = _app_stamp(name)
        if shown is None or (shown.model_sha256, shown.data_content_sha256) != (stamp.model_sha256,
                                                                               stamp.data_content_sha256):
            from ..data import builtin_names

            print(tr("docs.cli.screenshots_skipped", names=", ".join(builtin_names())), file=sys.stderr)
        else:
            folder = out / "screenshots"
            shots = take_screenshots(folder, dataset=name, row=rows[0], lang=lang, pages=pages, width=args.width,
                                     presentation=args.presentation, on_shot=lambda s: written(folder / s.file))
            for path in write_manifest(folder, shots, dataset=name, row=rows[0], lang=lang, width=args.width,
                                       presentation=args.presentation, stamp=stamp):
                written(path)
    written(sha256_sums(out))
    return 0


def _app_stamp(name: str):
    """The stamp of what the dashboard shows for ``name`` (a built-in dataset and its default model), or None."""
    from ..data import builtin_names

    return screenshot_stamp(name) if name in builtin_names() else None
