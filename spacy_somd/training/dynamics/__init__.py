"""Training dynamics after training: the analysis of a dynamics file (AUM, confidence,
variability and the fake-class threshold, :mod:`.analysis`) and the audit that ranks the
instances and draws them (:mod:`.audit`). The recording itself is done by the components
(:mod:`spacy_somd.pipeline.dynamics`)."""
