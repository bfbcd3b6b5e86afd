"""Build-time helpers (docs generation, examples); never imported by the running service."""
