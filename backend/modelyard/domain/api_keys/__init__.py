"""API keys: scoped, hashed credentials for machines (prediction services, dashboards)."""
