"""Every asset has the platform's owners and its domain tag, from the one declaration."""

from sensequant_assets.definitions import defs
from sensequant_assets.defs.owners import OWNERS


def test_every_asset_names_its_owners_and_its_domain() -> None:
    specs = list(defs().resolve_all_asset_specs())
    assert len(specs) >= 8
    for spec in specs:
        assert list(spec.owners) == list(OWNERS), spec.key
        assert spec.tags.get("domain") == spec.group_name, spec.key
        assert spec.tags.get("platform") == "sensequant", spec.key
