"""The report as a PDF (fpdf2): headings kept with what follows them, charts as the same PNGs as in Markdown,
and no link made from data text."""

from __future__ import annotations

import io

from ..documents import start_pdf
from .blocks import HASH, Block, Chart, Document, Heading, Paragraph, Table


def render_pdf(report: Document) -> bytes:
    """The report as a PDF (fpdf2, DejaVu Sans so that accents and ``− → …`` render); no link from data text."""
    from fpdf import FPDF
    from fpdf.enums import TableBordersLayout, TableCellFillMode
    from fpdf.fonts import FontFace

    tr = report.tr
    footer_text = report.title

    class _Document(FPDF):
        def footer(self) -> None:
            self.set_y(-11)
            self.set_font("DejaVu", "", 7.5)
            self.set_text_color(110, 110, 110)
            self.cell(0, 5, f"{footer_text} · " + tr("report.page", page=self.page_no(), pages="{nb}"), align="C")
            self.set_text_color(0, 0, 0)

    pdf = _Document(orientation="portrait", unit="mm", format="A4")
    pdf.set_subject(report.subtitle)
    pdf.set_keywords(f"data-sha256:{report.stamp.data_sha256 or '-'} model-sha256:{report.stamp.model_sha256}")
    start_pdf(pdf, report.title, report.lang, "explainers.report", report.stamp.generated, margin=16)

    pdf.set_font("DejaVu", "B", 19)
    pdf.multi_cell(0, 9, report.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.set_text_color(90, 90, 90)
    pdf.multi_cell(0, 5.5, report.subtitle, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(0, 114, 178)
    pdf.set_line_width(0.8)
    pdf.line(pdf.l_margin, pdf.get_y() + 2, pdf.w - pdf.r_margin, pdf.get_y() + 2)
    pdf.ln(6)
    pdf.set_line_width(0.2)

    sizes = {2: 14, 3: 11.5, 4: 10}
    blocks = report.blocks
    for index, block in enumerate(blocks):
        if isinstance(block, Heading):
            size = sizes.get(block.level, 10)
            # Keep a heading with what follows it (the next headings and the first block after them).
            needed = 0.0
            for following in blocks[index:]:
                if isinstance(following, Heading):
                    needed += 14 if following.level == 2 else 10
                    continue
                needed += _pdf_estimate(pdf, report, following)
                break
            if pdf.will_page_break(min(needed, pdf.eph * 0.8)):
                pdf.add_page()
            pdf.ln(5 if block.level == 2 else 3)
            pdf.set_font("DejaVu", "B", size)
            if block.level == 2:
                pdf.set_text_color(0, 84, 140)
            pdf.multi_cell(0, size * 0.5, block.text, new_x="LMARGIN", new_y="NEXT")
            pdf.set_text_color(0, 0, 0)
            if block.level == 2:
                pdf.set_draw_color(200, 205, 210)
                pdf.line(pdf.l_margin, pdf.get_y() + 0.8, pdf.w - pdf.r_margin, pdf.get_y() + 0.8)
                pdf.ln(2.5)
            else:
                pdf.ln(1)
        elif isinstance(block, Paragraph):
            _pdf_paragraph(pdf, block)
        elif isinstance(block, Table):
            _pdf_table(pdf, block, FontFace, TableBordersLayout, TableCellFillMode)
        elif isinstance(block, Chart):
            png = report.png(block)
            width, height = _pdf_image_size(pdf, png)
            if pdf.will_page_break(height + 10):
                pdf.add_page()
            pdf.image(io.BytesIO(png), x=pdf.l_margin + (pdf.epw - width) / 2, w=width, h=height)
            pdf.set_font("DejaVu", "I", 8)
            pdf.set_text_color(90, 90, 90)
            pdf.multi_cell(0, 4, block.caption.replace("**", ""), new_x="LMARGIN", new_y="NEXT")
            pdf.set_text_color(0, 0, 0)
            pdf.ln(2)
    return bytes(pdf.output())


def _pdf_image_size(pdf, png: bytes) -> tuple[float, float]:
    """Width and height (mm) of a chart on the page: the full text width, or less when too tall."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        width_px, height_px = image.size
    width = pdf.epw
    height = width * height_px / width_px
    limit = pdf.eph - 20
    if height > limit:
        width, height = width * limit / height, limit
    return width, height


def _pdf_estimate(pdf, report: Document, block: Block) -> float:
    """Roughly how much room (mm) the start of a block needs, to keep a heading with it."""
    if isinstance(block, Chart):
        return _pdf_image_size(pdf, report.png(block))[1] + 8
    if isinstance(block, Table):
        return 8 + 7 * min(len(block.rows), 3)
    if isinstance(block, Paragraph):
        return 5 * min(3, 1 + len(block.text) // 110) + 2
    return 10


def _pdf_paragraph(pdf, block: Paragraph) -> None:
    text = block.text
    markdown = "**" in text and "--" not in text and "__" not in text
    # fpdf2's markdown reads [text](url) as a link: text from the data never becomes one
    text = text.replace("](", "] (") if markdown else text.replace("**", "")
    if block.style == "code":
        pdf.set_font("DejaVuMono", "", 7.5)
        pdf.set_fill_color(246, 248, 250)
        pdf.multi_cell(0, 4, text, fill=True, new_x="LMARGIN", new_y="NEXT", padding=2)
        pdf.ln(2)
        return
    if block.style == "note":
        pdf.set_font("DejaVu", "", 8)
        pdf.set_text_color(90, 90, 90)
        pdf.multi_cell(0, 4, text, new_x="LMARGIN", new_y="NEXT", markdown=markdown)
        pdf.set_text_color(0, 0, 0)
        pdf.ln(1.5)
        return
    if block.style == "lead":
        pdf.set_font("DejaVu", "", 9.5)
        pdf.set_fill_color(240, 245, 250)
        pdf.multi_cell(0, 5, text, fill=True, new_x="LMARGIN", new_y="NEXT", markdown=markdown, padding=2.5)
        pdf.ln(2)
        return
    pdf.set_font("DejaVu", "", 9.5)
    pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT", markdown=markdown)
    pdf.ln(1.5)


def _pdf_table(pdf, block: Table, FontFace, TableBordersLayout, TableCellFillMode) -> None:
    size = 7.5 if block.small else 8.5
    pdf.set_font("DejaVu", "", size)
    width = len(block.header) if block.header is not None else max(len(r) for r in block.rows)
    widths = block.widths if len(block.widths) == width else (1,) * width
    numeric = block.numeric or ()
    align = tuple("RIGHT" if j < len(numeric) and numeric[j] else "LEFT" for j in range(width))
    heading_style = FontFace(emphasis="BOLD", fill_color=(236, 240, 244))
    key_style = FontFace(emphasis="BOLD")
    with pdf.table(
        col_widths=widths,
        text_align=align,
        first_row_as_headings=block.header is not None,
        headings_style=heading_style,
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        cell_fill_mode=TableCellFillMode.NONE,
        line_height=size * 0.55,
        padding=1.2,
        width=pdf.epw,
    ) as table:
        if block.header is not None:
            row = table.row()
            for text in block.header:
                row.cell(text.replace("**", ""))
        for cells in block.rows:
            row = table.row()
            for j, text in enumerate(cells):
                text = text.replace("**", "")
                if HASH.match(text):
                    row.cell(text, style=FontFace(family="DejaVuMono", size_pt=size - 0.5))
                elif block.header is None and j == 0:
                    row.cell(text, style=key_style)
                else:
                    row.cell(text)
    pdf.ln(2.5)
