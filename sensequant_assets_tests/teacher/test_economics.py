"""The economic test: costs by hand, books by hand, and what it shows on noise and on signal."""

import numpy as np
import pandas as pd
import pytest

from sensequant_assets.teacher.economics import (
    IndianEquityCosts,
    Sharpe,
    book_weights,
    economic_summary,
    economic_test,
    session_returns,
)
from sensequant_assets_tests.teacher.factories import (
    hidden_state,
    planted_signal_bars,
    random_walk_bars,
)


def test_costs_by_hand() -> None:
    costs = IndianEquityCosts()
    taxed = 0.0000297 + 0.000001
    assert costs.sell == pytest.approx(0.001 + taxed * 1.18 + 0.001)
    assert costs.buy == pytest.approx(costs.sell + 0.00015)
    assert IndianEquityCosts(brokerage_bps=3).sell - costs.sell == pytest.approx(0.0003 * 1.18)
    with pytest.raises(ValueError, match="slippage_bps"):
        IndianEquityCosts(slippage_bps=-1)


def test_books_by_hand() -> None:
    scores = pd.DataFrame(
        {"date": ["d1"] * 5, "symbol": list("ABCDE"), "score": [0.5, 0.1, 0.9, 0.3, 0.7]}
    )
    long_short = book_weights(scores, 0.2, "long_short").loc["d1"]
    assert long_short.to_dict() == {"A": 0.0, "B": -1.0, "C": 1.0, "D": 0.0, "E": 0.0}
    long_only = book_weights(scores, 0.4, "long_only").loc["d1"]
    assert long_only.to_dict() == {"A": 0.0, "B": 0.0, "C": 0.5, "D": 0.0, "E": 0.5}


def test_the_sharpe_gradient_is_its_derivative() -> None:
    r = np.random.default_rng(0).normal(0.001, 0.01, 30)
    sharpe, step = Sharpe(r), 1e-6
    numeric = (sharpe(np.ones((30, 30)) + step * np.eye(30)) - sharpe(np.ones((1, 30)))[0]) / step
    np.testing.assert_allclose(sharpe.gradient(), numeric, atol=1e-4)


def panel(bars: list[pd.DataFrame], score: dict[str, pd.Series]) -> pd.DataFrame:
    rows = []
    for b in bars:
        symbol = b["symbol"].iloc[0]
        rows.append(
            pd.DataFrame(
                {
                    "symbol": symbol,
                    "date": b["date"],
                    "score": score[symbol].to_numpy(),
                    "momentum": b["close"].pct_change(5).to_numpy(),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def test_on_random_walks_it_finds_nothing_and_loses_its_costs() -> None:
    bars = [random_walk_bars(f"N{i:02d}", seed=300 + i) for i in range(20)]
    # persistent scores that know nothing: an AR(1) per name, independent of its prices
    persistent = {
        b["symbol"].iloc[0]: pd.Series(hidden_state(400 + i, len(b))) for i, b in enumerate(bars)
    }
    result = economic_summary(
        economic_test(panel(bars, persistent), pd.concat(bars), IndianEquityCosts())
    )
    for scorer in ("model", "momentum"):
        book = result[scorer]["long_short"]
        print(f"\nNULL {scorer}: {book}")
        assert book["net_annual_return"] < 0
        assert book["net_sharpe_low"] < 0 < book["net_sharpe_high"] or book["net_sharpe"] < 0
        assert abs(book["gross_annual_return"]) < book["cost_annual"] + 0.1


def test_on_a_planted_signal_it_finds_money() -> None:
    bars = [planted_signal_bars(f"P{i:02d}", seed=500 + i, strength=0.3) for i in range(20)]
    # the volume reveals the state the next sessions' drift follows: score by it
    known = {b["symbol"].iloc[0]: np.log(b["volume"].astype(float)) for b in bars}
    result = economic_summary(
        economic_test(panel(bars, known), pd.concat(bars), IndianEquityCosts())
    )
    book = result["model"]["long_short"]
    print(f"\nPLANTED long-short: {book}\nIC decay: {result['model']['ic_decay']}")
    assert book["net_annual_return"] > 0 and book["net_sharpe_low"] > 0
    decay = result["model"]["ic_decay"]
    assert decay["1"] > 0 and decay["1"] > decay["20"] / 2


def test_returns_are_open_to_open_from_the_next_session() -> None:
    bars = random_walk_bars("X", seed=1).iloc[:5]
    returns = session_returns(bars)
    opens = bars["open"].to_numpy()
    assert returns["ret"].iloc[0] == pytest.approx(opens[2] / opens[1] - 1)
    assert returns["entry"].iloc[0] == pytest.approx(opens[1])


def test_a_score_that_only_sorts_by_beta_shows_raw_ic_and_no_residual_ic() -> None:
    """Names load on one rising market with different betas; scoring each by its beta ranks
    forward returns well on most dates (the market rose), and not at all once each name's
    trailing beta times the market is taken out."""
    rng = np.random.default_rng(3)
    dates = pd.bdate_range("2022-01-03", periods=600)
    market = rng.normal(0.004, 0.01, len(dates))
    bars, betas = [], {}
    for i in range(20):
        beta = 0.5 + i * 0.05
        daily = beta * market + rng.normal(0, 0.01, len(dates))
        close = 100 * np.exp(np.cumsum(daily))
        symbol = f"B{i:02d}"
        betas[symbol] = pd.Series(beta, index=range(len(dates)))
        bars.append(pd.DataFrame({"symbol": symbol, "date": dates, "open": close, "close": close}))
    result = economic_summary(
        economic_test(panel(bars, betas), pd.concat(bars), IndianEquityCosts())
    )
    versus = result["model"]["ic_vs_market"]
    print(f"\nbeta-sorting score: {versus}")
    assert versus["raw_ic"] > 0.2 and versus["raw_t"] > versus["t_critical"]
    assert abs(versus["residual_t"]) < versus["t_critical"]
    names = result["names_per_date"]
    assert (names["min"], names["max"], names["dates_below_min_names"]) == (20, 20, 0)
