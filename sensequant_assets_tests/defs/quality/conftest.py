from sensequant_assets_tests.quality.conftest import listings, paths, reference_dir

__all__ = ["listings", "paths", "reference_dir"]
