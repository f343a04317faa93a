"""What ``spacy train`` resolves beside the pipeline: the fold reader (:mod:`.reader`), the
augmenters (:mod:`.augmenters`), the checked overrides of a run (:mod:`.overrides`) and the
training-dynamics audit (:mod:`.dynamics`)."""
