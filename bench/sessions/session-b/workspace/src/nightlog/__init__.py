"""nightlog: read telescope observation logs, calibrate them, write night reports.

The library is split the same way as the command line tool:

* :mod:`nightlog.header`    parse FITS-style header dumps into :class:`Header` objects
* :mod:`nightlog.calibrate` master bias, extinction-corrected zero points, rejections
* :mod:`nightlog.report`    plain-text / markdown / CSV night summaries
* :mod:`nightlog.config`    defaults, config files and the site table

Everything is standard library only; the tool has to run on the observatory
consoles, which get a stock Python and nothing else.
"""

__version__ = "0.8.2"

from .header import Card, Header, HeaderError, parse_card, parse_header, parse_log
from .calibrate import NightCalibration, calibrate_frames
from .report import render_report
from .config import Config, load_config

__all__ = [
    "__version__",
    "Card",
    "Header",
    "HeaderError",
    "parse_card",
    "parse_header",
    "parse_log",
    "NightCalibration",
    "calibrate_frames",
    "render_report",
    "Config",
    "load_config",
]
