"""`traitlint report`: a static HTML report of a lint run, with plots, for reading rather than gating.

Layout (a front end, layer 5): `data` runs the static audits through one `Session` and gathers the
report's records; `distributions` the numbers behind the dataset plots; `model_results` the model
outputs on disk that match each folder's content hash (read as JSON: no torch, no model); `plots`
draws them with matplotlib as SVG; `html` renders the pages; `command` is the CLI subcommand.
Importing this package is cheap: nothing heavy is imported until a report is built.
"""
