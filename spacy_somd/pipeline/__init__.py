"""What ``spacy.load`` runs: the components (:mod:`.ner`, :mod:`.relations`, :mod:`.textcat`, the
rule pipes of :mod:`.rules`, the vote of :mod:`.vote`, :mod:`.confidence`), the tokenizer, the
sentence boundaries, the scorers and the pipe base they share."""
