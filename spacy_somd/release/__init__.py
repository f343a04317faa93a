"""The installable pipeline: its meta and its wheel (:mod:`.packaging`)."""
