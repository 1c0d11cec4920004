"""Built-in audits, one module per family: structural (TL0xx), confounds (TL1xx, TL30x), diversity (TL2xx, TL301)."""
