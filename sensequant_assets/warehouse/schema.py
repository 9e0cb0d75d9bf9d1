"""Warehouse tables. Each domain's table is declared here once, so the warehouse's shape can be
read in one place; `CREATE ... IF NOT EXISTS` makes every connection self-initialising."""

TABLES: dict[str, str] = {
    "warehouse_binding": """
        CREATE TABLE IF NOT EXISTS warehouse_binding (
            singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
            origin VARCHAR NOT NULL,
            bound_at TIMESTAMP NOT NULL
        )""",
    "symbol_mapping": """
        CREATE TABLE IF NOT EXISTS symbol_mapping (
            symbol VARCHAR PRIMARY KEY,
            nse_ticker VARCHAR NOT NULL,
            isec_code VARCHAR,
            isec_token VARCHAR,
            company_name VARCHAR,
            status VARCHAR NOT NULL,
            error VARCHAR,
            source VARCHAR NOT NULL,
            updated_at TIMESTAMP NOT NULL
        )""",
    # One row per daily_bars partition ever written, empty ones included: which symbol-years
    # exist is a fact of the warehouse, so the teacher gate never has to guess it.
    "bar_partitions": """
        CREATE TABLE IF NOT EXISTS bar_partitions (
            symbol VARCHAR NOT NULL,
            year INTEGER NOT NULL,
            rows INTEGER NOT NULL,
            written_at TIMESTAMP NOT NULL,
            PRIMARY KEY (symbol, year)
        )""",
    "daily_bars": """
        CREATE TABLE IF NOT EXISTS daily_bars (
            symbol VARCHAR NOT NULL,
            date DATE NOT NULL,
            open DOUBLE NOT NULL,
            high DOUBLE NOT NULL,
            low DOUBLE NOT NULL,
            close DOUBLE NOT NULL,
            volume BIGINT NOT NULL,
            source VARCHAR NOT NULL,
            PRIMARY KEY (symbol, date)
        )""",
    "teacher_labels": """
        CREATE TABLE IF NOT EXISTS teacher_labels (
            symbol VARCHAR NOT NULL,
            window_index INTEGER NOT NULL,
            split VARCHAR NOT NULL CHECK (split IN ('train', 'eval')),
            date DATE NOT NULL,
            sma_20 DOUBLE,
            sma_50 DOUBLE,
            ema_12 DOUBLE,
            ema_26 DOUBLE,
            rsi_14 DOUBLE,
            atr_14 DOUBLE,
            vwap DOUBLE,
            bb_upper DOUBLE,
            bb_middle DOUBLE,
            bb_lower DOUBLE,
            macd_line DOUBLE,
            macd_signal DOUBLE,
            macd_histogram DOUBLE,
            adx_14 DOUBLE,
            obv DOUBLE,
            forward_return DOUBLE,
            label TINYINT,
            PRIMARY KEY (symbol, window_index, date)
        )""",
    "teacher_runs": """
        CREATE TABLE IF NOT EXISTS teacher_runs (
            symbol VARCHAR NOT NULL,
            window_index INTEGER NOT NULL,
            status VARCHAR NOT NULL CHECK (status IN ('trained', 'skipped', 'failed')),
            reason VARCHAR,
            train_start DATE,
            train_end DATE,
            eval_start DATE,
            eval_end DATE,
            train_rows INTEGER NOT NULL,
            eval_rows INTEGER NOT NULL,
            train_positive_rate DOUBLE,
            eval_positive_rate DOUBLE,
            eval_accuracy DOUBLE,
            eval_precision DOUBLE,
            eval_recall DOUBLE,
            eval_f1 DOUBLE,
            eval_roc_auc DOUBLE,
            baseline_accuracy DOUBLE,
            feature_importances VARCHAR,
            hyper_parameters VARCHAR,
            model_path VARCHAR,
            fit_seconds DOUBLE,
            PRIMARY KEY (symbol, window_index)
        )""",
}
