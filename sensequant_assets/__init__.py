"""SenseQuant Assets: NSE daily history, quality checks and teacher models as Dagster assets."""
