"""The business areas, each with the same shape: controllers, schemas, documents, services, deps, jobs."""
