"""The report as Markdown: text from the data reaches it as text, never as markup (see
:func:`explainers.documents.md_text`); charts are PNG data URIs drawn with matplotlib."""

from __future__ import annotations

import base64
import html
import re

from ..documents import md_inline, md_text
from .blocks import Chart, Document, Heading, Paragraph, Table, when


def _md_line(text: str) -> str:
    return md_inline(" ".join(str(text).split()))


def _md_cell(text: str) -> str:
    return "<br>".join(md_inline(line, line_starts=False) for line in str(text).split("\n"))


def _md_fence(text: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _md_table(block: Table) -> str:
    width = len(block.header) if block.header is not None else max(len(r) for r in block.rows)
    header = block.header if block.header is not None else ("",) * width
    numeric = block.numeric or ()
    align = ["---:" if j < len(numeric) and numeric[j] else "---" for j in range(width)]
    lines = ["| " + " | ".join(_md_cell(h) for h in header) + " |", "| " + " | ".join(align) + " |"]
    for row in block.rows:
        cells = [_md_cell(c) for c in row]
        if block.header is None:
            cells[0] = f"**{cells[0]}**"
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render_markdown(report: Document) -> str:
    """The report as Markdown, charts as PNG data URIs; text from the data never becomes markup or a link."""
    tr = report.tr
    out = [f"# {_md_line(report.title)}", "", f"_{_md_line(report.subtitle)}_", "",
           f"**{md_text(tr('report.contents'))}**", ""]
    out += [f"{i}. [{_md_line(title)}](#{html.escape(anchor)})" for i, (anchor, title) in enumerate(report.sections, 1)]
    out.append("")
    for block in report.blocks:
        if isinstance(block, Heading):
            anchor = f'<a id="{html.escape(block.anchor)}"></a>\n' if block.anchor else ""
            out += [f"{anchor}{'#' * block.level} {_md_line(block.text)}", ""]
        elif isinstance(block, Paragraph):
            if block.style == "code":
                fence = _md_fence(block.text)
                out += [fence, block.text, fence, ""]
            elif block.style == "lead":
                out += ["> " + md_inline(block.text).replace("\n", "\n> "), ""]
            else:
                out += [md_inline(block.text).replace("\n", "  \n"), ""]
        elif isinstance(block, Table):
            out += [_md_table(block), ""]
        elif isinstance(block, Chart):
            data = base64.b64encode(report.png(block)).decode("ascii")
            alt = md_text(" ".join(block.title.split()))
            out += [f"![{alt}](data:image/png;base64,{data})", "", f"_{_md_line(block.caption)}_", ""]
    footer = getattr(report, "footer", None) or tr("report.footer", date=when(tr, report.stamp.generated))
    out += ["---", "", md_text(footer), ""]
    return "\n".join(out)
