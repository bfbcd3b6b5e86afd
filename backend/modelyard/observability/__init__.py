"""Infrastructure observability: metric definitions, HTTP middleware, logging, the /metrics route."""
