"""inkledger: quoting, invoicing and bookkeeping exports for Halftone & Hare Print Co."""

__version__ = "0.14.2"
