"""The model half: loading causal LMs, activation capture, generation, judges and their cache.

Imported lazily and only by model-backed work (the `traitlint_model` audits, `traitlint extract`,
`traitlint steer`): linting never imports this package, so it never imports torch. Importing
``traitlint.model`` itself imports nothing heavy; each submodule imports torch/transformers/openai
when it is imported.
"""
