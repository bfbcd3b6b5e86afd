"""Monitoring of models in production: hourly sketches of their inputs and outputs, the recent
predictions feedback joins to, and the drift and live-performance report."""
