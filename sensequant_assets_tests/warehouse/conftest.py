"""Every warehouse test here runs on both backends."""

import pytest

from sensequant_assets.warehouse.resources import WarehouseResource


@pytest.fixture
def warehouse(any_warehouse: WarehouseResource) -> WarehouseResource:
    return any_warehouse
