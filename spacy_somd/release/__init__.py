"""Installable pipelines and their releases: the meta and the offline wheel
(:mod:`.packaging`), the model card (:mod:`.card`) with its speed and memory
(:mod:`.benchmark`), the release build (:mod:`.build`), its checksums, manifest and
compatibility table (:mod:`.manifest`), :mod:`.publish` and :mod:`.download`."""
