"""Scoring a trained pipeline and showing it: relation scores with gold entities
(:mod:`.gold_entities`), the score tables (:mod:`.report`), the displaCy HTML of predictions (:mod:`.displacy`)."""
