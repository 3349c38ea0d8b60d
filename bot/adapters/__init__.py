"""Platform adapters: they translate between a platform and the neutral types, nothing more."""
