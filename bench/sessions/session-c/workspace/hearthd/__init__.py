"""hearthd: a small home-automation controller for one house.

Standard library only. See README.md for the layout.
"""

__version__ = "0.14.3rc2"

__all__ = ["__version__"]
