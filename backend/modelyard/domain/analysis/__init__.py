"""Analysis: AI-written analyses of datasets and narratives of models."""
