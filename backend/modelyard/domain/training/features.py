"""Old home of `DatetimeFeatures`: artifacts stored before it moved to `modelyard.ml.features` name
this module path, so it stays importable here (see `modelyard.ml.artifacts.TRUSTED_TYPES`)."""

from __future__ import annotations

from modelyard.ml.features import DatetimeFeatures

__all__ = ["DatetimeFeatures"]
