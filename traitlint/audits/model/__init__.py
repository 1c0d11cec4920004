"""Model-backed audits (TL4xx): checks that need a model or an LLM judge.

Registered like every audit, but they run only when model checks are enabled (`--traitlint-model`,
`traitlint check --model`); otherwise they are skipped with the reason. They reach the model
layer only through ``ctx.model`` (`traitlint.model.services.ModelServices`), so registering
them never imports torch.
"""
from __future__ import annotations

from traitlint.audits.model.fluency import FluencyAsymmetry
from traitlint.audits.model.probe import ProbeSeparability
from traitlint.audits.model.steering_baseline import SteeringBaseline
from traitlint.audits.model.vetting import ResponseVetting, ScenarioVetting

__all__ = ["ScenarioVetting", "ResponseVetting", "SteeringBaseline", "ProbeSeparability", "FluencyAsymmetry"]
