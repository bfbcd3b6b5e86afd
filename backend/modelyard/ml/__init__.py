"""The fitted-pipeline kernel shared by training, models, predictions and analysis. No I/O."""
