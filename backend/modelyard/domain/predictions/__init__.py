"""Predictions: online scoring from the model cache and batch-prediction jobs."""
