"""The transformer: ``spacy_somd.PieceBoundedTransformer.v2`` (:mod:`.model`), the backbone it
loads (:mod:`.backbone`), how it batches windows (:mod:`.length_groups`, :mod:`.packing`) and
its int8 form (:mod:`.quantization`)."""
