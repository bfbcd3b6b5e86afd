"""The model registry: trained models, their evaluation, stages."""
