"""An NSE ticker's ICICI stock code, as Breeze's SecurityMaster gives it: a miss or an ambiguous
match is a failed mapping that says why and what to fix, never a guess."""

from sensequant_assets.sources.base import SymbolMapping
from sensequant_assets.sources.breeze.answer_kinds import classify_names
from sensequant_assets.sources.breeze.calls import new_stats
from sensequant_assets.sources.breeze.connection import BreezeConnection
from sensequant_assets.sources.breeze.errors import BreezeAnswerError


def isec_mapping(connection: BreezeConnection, symbol: str, nse_ticker: str) -> SymbolMapping:
    """The ISEC instrument of `nse_ticker`, from the logged-in client's `get_names`."""
    breeze = connection.client(new_stats())
    what = f"Breeze get_names('NSE', {nse_ticker!r}) for {symbol}"
    try:
        answer = classify_names(
            breeze.get_names(exchange_code="NSE", stock_code=nse_ticker), nse_ticker
        )
    except Exception as exc:
        raise BreezeAnswerError(connection.scrub(f"{what} failed: {exc}")) from None
    if answer.kind == "success":
        raw = answer.payload
        return SymbolMapping(
            symbol=symbol,
            nse_ticker=nse_ticker,
            isec_code=str(raw["isec_stock_code"]).strip(),
            isec_token=str(raw["isec_token"]).strip(),
            company_name=str(raw.get("company name", "")).strip() or None,
            status="success",
        )
    if answer.kind in ("not_found", "rejected"):
        hint = (
            f"{nse_ticker} is not an NSE symbol in ICICI's SecurityMaster; if the universe "
            "name differs from the NSE ticker, add it to data/reference/aliases.csv"
            if answer.kind == "not_found"
            else "fix the alias so that it names exactly one NSE symbol"
        )
        return SymbolMapping.failed(
            symbol, nse_ticker, connection.scrub(f"{what}: {answer.message}; {hint}")
        )
    raise connection.failure(answer, what)
