"""Pipelines trained alike voting: the ``somd_vote`` component, the vote, and the pipeline
that holds several trained pipelines as one."""

from spacy_somd.pipeline.vote.majority import set_vote, token_copy, vote_categories, vote_entities, vote_relations
from spacy_somd.pipeline.vote.pipe import SeedVote, assemble_ensemble, make_seed_vote

__all__ = ["SeedVote", "assemble_ensemble", "make_seed_vote", "set_vote", "token_copy", "vote_categories", "vote_entities", "vote_relations"]
