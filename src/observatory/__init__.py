"""South Essex Data Observatory: versioned releases of official statistics, served as a site and an API."""

__version__ = "0.1.0"
