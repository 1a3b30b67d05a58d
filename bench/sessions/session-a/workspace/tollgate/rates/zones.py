# GENERATED FILE - do not edit by hand.
# Source: carrier tariff TRF-2023-11-B zone chart, effective 2023-11-06
# Regenerate: python3 scripts/build_zones.py --tariff ... --effective ... > tollgate/rates/zones.py
"""Zone lookup: (origin zip, destination zip) -> tariff zone 2..10."""

# (origin region, destination region) -> zone; region = first digit of the ZIP
REGION_ZONES = {
    (0, 0): 2, (0, 1): 3, (0, 2): 5, (0, 3): 6, (0, 4): 5, (0, 5): 6, (0, 6): 6, (0, 7): 7, (0, 8): 8, (0, 9): 8,
    (1, 0): 3, (1, 1): 2, (1, 2): 4, (1, 3): 5, (1, 4): 4, (1, 5): 6, (1, 6): 5, (1, 7): 7, (1, 8): 7, (1, 9): 8,
    (2, 0): 5, (2, 1): 4, (2, 2): 2, (2, 3): 4, (2, 4): 4, (2, 5): 5, (2, 6): 4, (2, 7): 5, (2, 8): 6, (2, 9): 7,
    (3, 0): 6, (3, 1): 5, (3, 2): 4, (3, 3): 2, (3, 4): 4, (3, 5): 6, (3, 6): 4, (3, 7): 4, (3, 8): 6, (3, 9): 7,
    (4, 0): 5, (4, 1): 4, (4, 2): 4, (4, 3): 4, (4, 4): 2, (4, 5): 4, (4, 6): 3, (4, 7): 5, (4, 8): 5, (4, 9): 6,
    (5, 0): 6, (5, 1): 6, (5, 2): 5, (5, 3): 6, (5, 4): 4, (5, 5): 2, (5, 6): 4, (5, 7): 5, (5, 8): 4, (5, 9): 4,
    (6, 0): 6, (6, 1): 5, (6, 2): 4, (6, 3): 4, (6, 4): 3, (6, 5): 4, (6, 6): 2, (6, 7): 4, (6, 8): 4, (6, 9): 5,
    (7, 0): 7, (7, 1): 7, (7, 2): 5, (7, 3): 4, (7, 4): 5, (7, 5): 5, (7, 6): 4, (7, 7): 2, (7, 8): 4, (7, 9): 5,
    (8, 0): 8, (8, 1): 7, (8, 2): 6, (8, 3): 6, (8, 4): 5, (8, 5): 4, (8, 6): 4, (8, 7): 4, (8, 8): 2, (8, 9): 3,
    (9, 0): 8, (9, 1): 8, (9, 2): 7, (9, 3): 7, (9, 4): 6, (9, 5): 4, (9, 6): 5, (9, 7): 5, (9, 8): 3, (9, 9): 2,
}

# destination ZIP3 prefixes priced on their own zone regardless of origin
SPECIAL_DEST_ZONES = {
    "006": 10,  # PR/VI
    "007": 10,  # PR/VI
    "008": 10,  # PR/VI
    "009": 10,  # PR/VI
    "967": 9,  # HI
    "968": 9,  # HI
    "969": 10,  # GU
    "995": 9,  # AK
    "996": 9,  # AK
    "997": 9,  # AK
    "998": 9,  # AK
    "999": 9,  # AK
}


def zip3(zip_code):
    zip_code = str(zip_code).strip()
    if len(zip_code) < 5 or not zip_code[:5].isdigit():
        raise ValueError(f"not a US ZIP code: {zip_code!r}")
    return zip_code[:3]


def zone_for(origin_zip, dest_zip):
    """Tariff zone for a lane. Special destinations win over the region chart."""
    dest3 = zip3(dest_zip)
    if dest3 in SPECIAL_DEST_ZONES:
        return SPECIAL_DEST_ZONES[dest3]
    return REGION_ZONES[(int(zip3(origin_zip)[0]), int(dest3[0]))]
