"""Customer-facing shipment tracking API."""
