from sensequant_assets_tests.sources.breeze.conftest import breeze_server

__all__ = ["breeze_server"]
