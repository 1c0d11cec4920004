"""Built-in audits (layer 3), one package per family:

- `structural` (TL0xx): files, pairing, duplicates, size, definition and steering format, endings;
- `confounds` (TL1xx, TL302-TL306): what separates the sides besides the trait;
- `diversity` (TL2xx, TL301): frames, divergence, manifestation, plan and topic coverage;
- `model` (TL4xx): checks that need a model or a judge (imported lazily, only when enabled).

Importing a family package registers its audits in `traitlint.registry`.
"""
