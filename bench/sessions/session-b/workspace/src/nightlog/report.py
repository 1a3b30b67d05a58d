"""Night reports: plain text for the console, markdown for the wiki, CSV for
the archive spreadsheet.

The first line of every text report is a format marker so that the archive
scraper can tell report versions apart; bump it when the layout changes.
"""

import csv
import io
import statistics

REPORT_FORMAT = "NIGHTLOG-REPORT/2"

FRAME_COLUMNS = (
    ("frame", 22),
    ("object", 18),
    ("filt", 4),
    ("exp", 6),
    ("X", 5),
    ("FWHM", 5),
    ("ZP", 7),
    ("notes", 0),
)


def _night_date(headers):
    """Observing night, taken from the first DATE-OBS (YYYY-MM-DD)."""
    for h in headers:
        date = h.get("DATE-OBS")
        if date:
            return str(date)[:10]
    return "unknown"


def _fmt(value, spec):
    if value is None:
        return "-"
    try:
        return format(value, spec)
    except (TypeError, ValueError):
        return str(value)


def _seeing(night, config):
    fwhms = [f.fwhm for f in night.frames if f.fwhm and not f.rejected]
    if not fwhms:
        return None
    med = statistics.median(fwhms)
    spread = statistics.stdev(fwhms) if len(fwhms) > 1 else 0.0
    return med, med * config.pixel_scale, spread * config.pixel_scale


def _notes(frame):
    notes = list(frame.flags)
    if frame.rejected:
        notes.insert(0, "REJECTED: " + frame.rejected)
    return ", ".join(notes)


def summary_lines(headers, night, config, source=None):
    n_obj = len(night.frames)
    lines = [
        "%s  night of %s  site %s (%s)"
        % (REPORT_FORMAT, _night_date(headers), config.site.code, config.site.name),
    ]
    if source:
        lines.append("source: %s" % source)
    lines.append(
        "frames: %d total, %d object, %d bias, %d flat; %d rejected"
        % (len(headers), n_obj, night.n_bias, night.n_flat, len(night.rejected))
    )
    if night.bias_level is not None:
        lines.append("master bias: %.1f ADU from %d frames" % (night.bias_level, night.n_bias))
    else:
        lines.append("master bias: none (no bias frames)")
    seeing = _seeing(night, config)
    if seeing:
        lines.append(
            "seeing: median FWHM %.2f px = %.2f″ (± %.2f″)" % seeing
        )
    return lines


def _zp_table(night, config):
    rows = ["filter  n   ZP median  scatter  k(ext)"]
    for band in night.bands():
        n = len([f for f in night.usable if f.band == band])
        if band in night.zp_median:
            rows.append(
                "%-6s  %-2d  %9.3f  %7.3f  %6.3f"
                % (band, n, night.zp_median[band], night.zp_scatter[band], config.extinction[band])
            )
        else:
            rows.append("%-6s  %-2d  %9s  %7s  %6.3f" % (band, n, "-", "-", config.extinction[band]))
    return rows


def _frame_rows(night):
    for f in night.frames:
        yield (
            f.frame_id,
            str(f.object)[:18],
            f.band or "?",
            _fmt(f.exptime, ".1f"),
            _fmt(f.airmass, ".3f"),
            _fmt(f.fwhm, ".2f"),
            _fmt(f.zp, ".3f"),
            _notes(f),
        )


def render_text(headers, night, config, source=None):
    out = summary_lines(headers, night, config, source)
    out.append("")
    out.extend(_zp_table(night, config))
    out.append("")
    head = "  ".join(name.ljust(w) if w else name for name, w in FRAME_COLUMNS)
    out.append(head.rstrip())
    out.append("-" * min(config.width, len(head) + 10))
    for row in _frame_rows(night):
        cells = [
            cell.ljust(w) if w else cell for cell, (_, w) in zip(row, FRAME_COLUMNS)
        ]
        out.append("  ".join(cells).rstrip()[: config.width])
    return "\n".join(out) + "\n"


def render_markdown(headers, night, config, source=None):
    lines = summary_lines(headers, night, config, source)
    out = ["## Night report %s" % _night_date(headers), ""]
    out.extend("- " + line for line in lines[1:])
    out.append("")
    out.append("| filter | n | ZP median | scatter |")
    out.append("|---|---|---|---|")
    for band in night.bands():
        n = len([f for f in night.usable if f.band == band])
        out.append(
            "| %s | %d | %s | %s |"
            % (band, n, _fmt(night.zp_median.get(band), ".3f"), _fmt(night.zp_scatter.get(band), ".3f"))
        )
    out.append("")
    out.append("| " + " | ".join(name for name, _ in FRAME_COLUMNS) + " |")
    out.append("|" + "---|" * len(FRAME_COLUMNS))
    for row in _frame_rows(night):
        out.append("| " + " | ".join(row) + " |")
    return "\n".join(out) + "\n"


def render_csv(headers, night, config, source=None):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([name for name, _ in FRAME_COLUMNS])
    for row in _frame_rows(night):
        writer.writerow(row)
    return buf.getvalue()


RENDERERS = {"text": render_text, "md": render_markdown, "csv": render_csv}


def render_report(headers, night, config, fmt=None, source=None):
    """Render a report in *fmt* (default: ``config.format``)."""
    fmt = fmt or config.format
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        raise ValueError("unknown report format %r" % fmt) from None
    return renderer(headers, night, config, source)
