"""Pipelines trained alike voting: the ``somd_vote`` component, the vote, and the pipeline
that holds several trained pipelines as one."""
from .pipe import SeedVote, assemble_ensemble, make_seed_vote
from .vote import set_vote, token_copy, vote_categories, vote_entities, vote_relations

__all__ = ["SeedVote", "assemble_ensemble", "make_seed_vote", "set_vote", "token_copy", "vote_categories", "vote_entities", "vote_relations"]
