"""The report as one self-contained HTML file: every text is HTML-escaped (the catalogue's **bold** is the only
markup), and chart data is embedded by Plotly as JSON that cannot close its ``<script>``."""

from __future__ import annotations

import html

from ..documents import inline_html
from .blocks import HASH, Chart, Document, Heading, Paragraph, Table, when
from .figures import plotly_figure

_CSS = """
:root { --ink:#1f2328; --muted:#57606a; --line:#d0d7de; --soft:#f6f8fa; --accent:#0072B2; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", Arial, sans-serif; }
main { max-width: 980px; margin: 0 auto; padding: 32px 28px 64px; }
header.cover { border-bottom: 3px solid var(--accent); padding-bottom: 14px; margin-bottom: 18px; }
h1 { font-size: 1.9rem; line-height: 1.25; margin: 0 0 6px; }
.subtitle { color: var(--muted); margin: 0; }
h2 { font-size: 1.35rem; margin: 40px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.12rem; margin: 28px 0 8px; }
h4 { font-size: 0.98rem; margin: 20px 0 6px; color: #333; }
p { margin: 8px 0; }
p.lead { background: var(--soft); border-left: 4px solid var(--accent); padding: 10px 14px; border-radius: 4px; }
p.note { color: var(--muted); font-size: 0.88rem; }
pre.code { background: var(--soft); border: 1px solid var(--line); border-radius: 4px; padding: 10px 12px;
  font: 12.5px/1.45 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; white-space: pre-wrap;
  word-break: break-all; }
nav.toc { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 10px 18px;
  margin: 18px 0; }
nav.toc strong { display: block; margin-bottom: 4px; }
nav.toc ol { margin: 0; padding-left: 20px; columns: 2; }
nav.toc a { color: var(--accent); text-decoration: none; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 12px; font-size: 0.92rem; }
table.small { font-size: 0.85rem; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid var(--line); }
thead th { background: var(--soft); border-bottom: 2px solid var(--line); }
table.kv th { width: 26%; font-weight: 600; color: #333; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.hash { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.82rem;
  word-break: break-all; }
figure.chart { margin: 10px 0 16px; break-inside: avoid; page-break-inside: avoid; }
figure.chart figcaption { color: var(--muted); font-size: 0.88rem; margin-top: 4px; }
footer { margin-top: 48px; color: var(--muted); font-size: 0.85rem; border-top: 1px solid var(--line);
  padding-top: 10px; }
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  nav.toc { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  h3, h4 { break-after: avoid; page-break-after: avoid; }
  table, tr, p.lead { break-inside: avoid; page-break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""

def render_html(report: Document) -> str:
    """One self-contained HTML file that works offline (plotly.js inline, once); every text escaped."""
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    tr = report.tr
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{html.escape(report.lang)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="explainers.report">',
        f"<title>{html.escape(report.title)}</title>",
        f"<style>{_CSS}</style>",
        # plotly.js, once, inline: the file works offline (left out of a document without charts).
        f'<script id="plotlyjs">{get_plotlyjs()}</script>' if any(isinstance(b, Chart) for b in report.blocks)
        else "",
        "</head>",
        "<body>",
        "<main>",
        '<header class="cover">',
        f"<h1>{html.escape(report.title)}</h1>",
        f'<p class="subtitle">{html.escape(report.subtitle)}</p>',
        "</header>",
        f'<nav class="toc"><strong>{html.escape(tr("report.contents"))}</strong><ol>'
        + "".join(f'<li><a href="#{a}">{html.escape(t)}</a></li>' for a, t in report.sections)
        + "</ol></nav>",
    ]
    open_section = False
    charts = 0
    config = {"displayModeBar": False, "responsive": True}
    for block in report.blocks:
        if isinstance(block, Heading):
            if block.level == 2:
                if open_section:
                    out.append("</section>")
                out.append(f'<section id="{block.anchor}">')
                open_section = True
                out.append(f"<h2>{html.escape(block.text)}</h2>")
            else:
                anchor = f' id="{block.anchor}"' if block.anchor else ""
                out.append(f"<h{block.level}{anchor}>{html.escape(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            if block.style == "code":
                out.append(f'<pre class="code">{html.escape(block.text)}</pre>')
            else:
                css = f' class="{block.style}"' if block.style != "body" else ""
                out.append(f"<p{css}>{inline_html(block.text)}</p>")
        elif isinstance(block, Table):
            out.append(_html_table(block))
        elif isinstance(block, Chart):
            charts += 1
            figure = plotly_figure(block, tr)
            height = int(figure.layout.height or 420)
            div = pio.to_html(figure, full_html=False, include_plotlyjs=False, config=config,
                              default_width="100%", default_height=f"{height}px", div_id=f"chart-{block.key}")
            out.append(f'<figure class="chart">{div}<figcaption>{inline_html(block.caption)}</figcaption></figure>')
    if open_section:
        out.append("</section>")
    footer = getattr(report, "footer", None) or tr("report.footer", date=when(tr, report.stamp.generated))
    out.append(f"<footer>{html.escape(footer)}</footer>")
    out += ["</main>", "</body>", "</html>", ""]
    return "\n".join(out)


def _html_table(block: Table) -> str:
    classes = ["kv"] if block.header is None else []
    if block.small:
        classes.append("small")
    css = f' class="{" ".join(classes)}"' if classes else ""
    numeric = block.numeric or ()

    def cell(tag: str, text: str, j: int) -> str:
        kind = []
        if 0 <= j < len(numeric) and numeric[j]:
            kind.append("num")
        if HASH.match(text):
            kind.append("hash")
        attr = f' class="{" ".join(kind)}"' if kind else ""
        return f"<{tag}{attr}>{inline_html(text)}</{tag}>"

    parts = [f"<table{css}>"]
    if block.header is not None:
        parts.append("<thead><tr>" + "".join(cell("th", h, j) for j, h in enumerate(block.header))
                     + "</tr></thead>")
    parts.append("<tbody>")
    for row in block.rows:
        if block.header is None:
            parts.append("<tr>" + cell("th", row[0], -1) + "".join(cell("td", c, j) for j, c in
                                                                  enumerate(row[1:], 1)) + "</tr>")
        else:
            parts.append("<tr>" + "".join(cell("td", c, j) for j, c in enumerate(row)) + "</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)
