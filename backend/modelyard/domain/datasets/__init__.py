"""Datasets: uploads, profiles, previews, downloads."""
