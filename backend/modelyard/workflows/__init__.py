"""Use cases that span areas: the only code that imports several areas' services."""
