"""Table intake shared by dataset and batch-prediction uploads: sniffing, reading, converting. Pure."""
