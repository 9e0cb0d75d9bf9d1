import pandas as pd

from sensequant_assets.quality.mapping import mapping_problem


def table(*rows: tuple[str, str | None, str, str | None]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"symbol": s, "nse_ticker": s, "isec_code": c, "status": st, "error": e}
            for s, c, st, e in rows
        ]
    )


def test_resolved_symbol_passes() -> None:
    assert mapping_problem(table(("TCS", "TCS", "success", None)), "TCS") is None


def test_failed_lookup_names_its_error() -> None:
    rows = table(("OBEROI", None, "failed", "no instrument named OBEROI"))
    problem = mapping_problem(rows, "OBEROI")
    assert problem is not None
    assert "did not resolve to an ISEC code (status failed: no instrument named OBEROI)" in problem
    assert "aliases.csv" in problem


def test_missing_row_says_what_to_materialize() -> None:
    problem = mapping_problem(table(("TCS", "TCS", "success", None)), "INFY")
    assert problem == "INFY has no row in symbol_mapping; materialize symbol_mapping[INFY] first"


def test_two_symbols_sharing_one_code_fail() -> None:
    rows = table(("OBEROI", "OBEREA", "success", None), ("OBEROIRLTY", "OBEREA", "success", None))
    problem = mapping_problem(rows, "OBEROI")
    assert problem is not None and "OBEREA, which OBEROIRLTY also resolved to" in problem
