"""The SOMD corpus: the three line-aligned files (:mod:`.format`), Sentences <-> Docs
(:mod:`.docs`), the folds and their splits (:mod:`.folds`), corpus counts (:mod:`.stats`)
and rewrites of labelled sentences (:mod:`.retokenization`, :mod:`.unseen_names`,
:mod:`.variants`)."""
