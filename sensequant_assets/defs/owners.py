"""Who owns the platform's assets, declared once: every `@dg.asset` spreads `ownership(domain)`.

The UI's catalog filters by owner and by tag, so a new asset is found where its neighbours are
and its failures reach the team that answers for them. `domain` is the asset's group (ingestion,
quality, teacher, ...), repeated as a tag because tags, unlike groups, travel with the asset's
events and can select assets in jobs and automation (`tag:domain=teacher`).
"""

OWNERS = ("team:sensequant-data",)


def ownership(domain: str) -> dict[str, object]:
    """`owners` and `tags` for an asset of `domain`: `@dg.asset(..., **ownership("teacher"))`."""
    return {"owners": list(OWNERS), "tags": {"domain": domain, "platform": "sensequant"}}
