"""Whether a universe symbol resolved to exactly one ISEC instrument.

An unresolved symbol has no bars to check and nothing to train on; two universe symbols resolved
to the same ISEC code would store one company's history twice under two names.
"""

import pandas as pd


def mapping_problem(mappings: pd.DataFrame, symbol: str) -> str | None:
    """Why `symbol` has no usable mapping in the symbol_mapping rows `mappings`, or None.

    `mappings` must hold every row that could share the symbol's ISEC code (the whole table, or
    at least the symbols checked together).
    """
    rows = mappings[mappings["symbol"] == symbol]
    if rows.empty:
        return f"{symbol} has no row in symbol_mapping; materialize symbol_mapping[{symbol}] first"
    if len(rows) > 1:
        return f"{symbol} has {len(rows)} rows in symbol_mapping; expected exactly one"
    row = rows.iloc[0]
    code = row["isec_code"]
    if row["status"] != "success" or pd.isna(code) or not str(code).strip():
        error = row["error"] if isinstance(row["error"], str) and row["error"] else "no error given"
        return (
            f"{symbol} (NSE ticker {row['nse_ticker']}) did not resolve to an ISEC code "
            f"(status {row['status']}: {error}); add an alias in data/reference/aliases.csv "
            "if the NSE ticker differs from the universe symbol"
        )
    twins = mappings[(mappings["isec_code"] == code) & (mappings["symbol"] != symbol)]
    if not twins.empty:
        return (
            f"{symbol} resolved to ISEC code {code}, which "
            f"{', '.join(sorted(twins['symbol']))} also resolved to; keep one symbol per "
            "company in the constituent lists"
        )
    return None
