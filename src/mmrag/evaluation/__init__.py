"""``mmrag eval``: retrieval and answer quality on standard dataset formats."""
