"""Observatory sites known to nightlog.

The report header prints the site name, and calibration uses the elevation
to sanity-check extinction coefficients (a V coefficient above ~0.25 at a
2 km site usually means thin cloud, not a bad fit).
"""

from collections import namedtuple

Site = namedtuple("Site", "code name latitude longitude elevation_m timezone")

# latitude/longitude in degrees (east positive), elevation in metres
SITES = {
    "kestrel": Site(
        "kestrel",
        "Kestrel Ridge Observatory, 1.3m",
        31.68154,
        -110.87722,
        2096.4,
        "America/Phoenix",
    ),
    "kestrel-0.6": Site(
        "kestrel-0.6",
        "Kestrel Ridge Observatory, 0.6m west dome",
        31.68102,
        -110.87790,
        2091.0,
        "America/Phoenix",
    ),
    "lapalma-jkt": Site(
        "lapalma-jkt",
        "Roque de los Muchachos, JKT",
        28.76063,
        -17.88163,
        2369.0,
        "Atlantic/Canary",
    ),
    "home": Site(
        "home",
        "Generic backyard site (sea level)",
        0.0,
        0.0,
        0.0,
        "UTC",
    ),
}


def get_site(code):
    """Return the :class:`Site` for *code* (case-insensitive)."""
    try:
        return SITES[code.lower()]
    except KeyError:
        known = ", ".join(sorted(SITES))
        raise KeyError("unknown site %r (known: %s)" % (code, known)) from None
