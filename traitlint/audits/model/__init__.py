"""Model-backed audits (TL4xx): checks that need a model or an LLM judge.

Registered like every audit, but they run only when model checks are enabled (`--traitlint-model`,
`traitlint check --model`); otherwise they are skipped with the reason. They call into
`traitlint.model` only inside `compute`, so registering them never imports torch.
"""
