"""Photometric calibration of one night.

The acquisition pipeline at the telescope already measures a few numbers per
frame and writes them back into the header:

========  ==============================================================
MEANADU   mean level of the central 512x512 box (bias frames: the bias)
PEAKADU   brightest pixel of the reference star
SKYADU    sky background around the reference star
FWHM      reference star FWHM in pixels
REFFLUX   background-subtracted reference star flux, ADU
REFMAG    catalogue magnitude of the reference star in the frame's filter
========  ==============================================================

From those we compute a master bias level for the night and, for every object
frame with a reference star, an extinction-corrected zero point::

    m_inst = -2.5 log10(REFFLUX / EXPTIME)
    ZP     = REFMAG - m_inst + k * X

with k the first-order extinction coefficient for the filter and X the
airmass. The night's zero point per filter is the median over usable frames.
See docs/calibration.md for the derivation and the choice of median.
"""

import math
import statistics

# Above this the plane-parallel approximation X = sec(z) is off by more than
# 1% and our single-coefficient extinction model stops being useful.
# config max_airmass can only lower the limit, never raise it.
AIRMASS_CLIP = 3.75

FILTER_ALIASES = {
    "B": "B",
    "JOHNSON-B": "B",
    "V": "V",
    "JOHNSON-V": "V",
    "R": "R",
    "RC": "R",
    "COUSINS-R": "R",
    "I": "I",
    "IC": "I",
    "COUSINS-I": "I",
}


def normalise_filter(name):
    """Map the many spellings of a filter to B, V, R or I (or None)."""
    if name is None:
        return None
    return FILTER_ALIASES.get(str(name).strip().upper())


class FrameResult:
    """Calibration outcome for one object frame."""

    def __init__(self, header, band):
        self.header = header
        self.frame_id = header.frame_id
        self.band = band
        self.object = header.get("OBJECT", "")
        self.exptime = header.get("EXPTIME")
        self.airmass = header.get("AIRMASS")
        self.fwhm = header.get("FWHM")
        self.peak = header.get("PEAKADU")
        self.sky = None
        self.zp = None
        self.flags = []
        self.rejected = None  # reason string when the frame is not used

    @property
    def usable(self):
        return self.rejected is None and self.zp is not None

    def __repr__(self):
        return "FrameResult(%s, %s, zp=%s, rejected=%r)" % (
            self.frame_id,
            self.band,
            None if self.zp is None else round(self.zp, 3),
            self.rejected,
        )


class NightCalibration:
    """Everything the report needs about one night."""

    def __init__(self):
        self.bias_level = None
        self.n_bias = 0
        self.n_flat = 0
        self.frames = []
        self.zp_median = {}
        self.zp_scatter = {}

    @property
    def usable(self):
        return [f for f in self.frames if f.usable]

    @property
    def rejected(self):
        return [f for f in self.frames if f.rejected]

    def bands(self):
        return sorted({f.band for f in self.frames if f.band}, key="BVRI".index)


def master_bias(headers, keyword="MEANADU"):
    """Median bias level over the bias frames, and how many were used."""
    levels = [
        h[keyword]
        for h in headers
        if str(h.get("IMAGETYP", "")).lower() in ("bias", "zero") and keyword in h
    ]
    if not levels:
        return None, 0
    return statistics.median(levels), len(levels)


def instrumental_mag(flux, exptime):
    """Instrumental magnitude from a flux in ADU and an exposure time in s."""
    if flux <= 0 or exptime <= 0:
        raise ValueError("flux and exptime must be positive")
    return -2.5 * math.log10(flux / exptime)


def zero_point(catalog_mag, flux, exptime, airmass, k):
    """Extinction-corrected photometric zero point for one frame.

    ``ZP = m_cat - m_inst + k * X``: the magnitude that one ADU per second
    would have above the atmosphere.
    """
    return catalog_mag - instrumental_mag(flux, exptime) + k * airmass


def calibrate_frames(headers, config):
    """Calibrate a parsed night log.

    *headers* is the list returned by :func:`nightlog.header.parse_log`,
    *config* a :class:`nightlog.config.Config`.
    """
    night = NightCalibration()
    night.bias_level, night.n_bias = master_bias(headers, config.bias_keyword)
    max_airmass = min(config.max_airmass, AIRMASS_CLIP)

    for header in headers:
        kind = str(header.get("IMAGETYP", "")).lower()
        if kind in ("flat", "skyflat", "domeflat"):
            night.n_flat += 1
        if kind not in ("object", "light", "science"):
            continue
        band = normalise_filter(header.get("FILTER"))
        frame = FrameResult(header, band)
        night.frames.append(frame)

        if band is None:
            frame.rejected = "unknown filter %r" % header.get("FILTER")
            continue
        if frame.airmass is None or frame.exptime is None:
            frame.rejected = "no AIRMASS/EXPTIME"
            continue
        if frame.airmass > max_airmass:
            frame.rejected = "airmass %.2f > %.2f" % (frame.airmass, max_airmass)
            continue
        if night.bias_level is not None and "SKYADU" in header:
            gain = header.get("GAIN", config.gain)
            frame.sky = (header["SKYADU"] - night.bias_level) * gain
        if "REFFLUX" not in header or "REFMAG" not in header:
            frame.flags.append("noref")
            continue
        try:
            frame.zp = zero_point(
                header["REFMAG"],
                header["REFFLUX"],
                frame.exptime,
                frame.airmass,
                config.extinction[band],
            )
        except ValueError as exc:
            frame.rejected = str(exc)

    for band in night.bands():
        zps = [f.zp for f in night.usable if f.band == band]
        if len(zps) >= config.min_frames_per_filter:
            night.zp_median[band] = statistics.median(zps)
            night.zp_scatter[band] = statistics.stdev(zps) if len(zps) > 1 else 0.0
    return night
