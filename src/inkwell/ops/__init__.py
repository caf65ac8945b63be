"""Operating Inkwell: database status, and (later) health, metrics, logs and backups."""
