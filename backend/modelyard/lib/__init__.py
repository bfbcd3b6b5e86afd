"""Building blocks that import nothing else of ours: schema vocabulary, errors, storage, jobs, db, uploads."""
