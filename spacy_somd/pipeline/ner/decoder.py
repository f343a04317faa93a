"""Greedy BILUO decoding of spaCy's transition-based NER model, one step for all the
batch's documents at once.

spaCy's ``greedy_parse`` advances each state with a C loop that asks every one of the
``4 * labels + 1`` moves whether it is valid for that state (``set_valid``), one function
call per move, state and token: on a 2-core CPU it takes about 50 microseconds a token,
more than a tenth of the whole SOMD pipeline. The NER's moves each consume exactly one
token, so step ``t`` of every document reads token ``t``; the validity of the five kinds of
move is a handful of array comparisons over the batch. The scores are computed as
``predict_states`` does (the precomputed features of the state's three context tokens
summed in the same order, the bias, the maxout), so the decisions are the same.

Only for documents without preset entity annotations (the rules below are spaCy's for
``ent_iob == 0`` everywhere) and for spaCy's NER model without an upper layer and with its
three context tokens (``use_upper = false``, ``extra_state_tokens = false``); the pipe
falls back to spaCy's decoder otherwise.
"""

from typing import List, NamedTuple, Sequence, Tuple

import numpy
from spacy.tokens import Doc
from thinc.api import Ops
from thinc.types import Floats2d, Floats4d

BEGIN, IN, LAST, UNIT, OUT = range(5)
KINDS = {"B": BEGIN, "I": IN, "L": LAST, "U": UNIT, "O": OUT}
Entity = Tuple[int, int, str]  # start, end, label


class Moves(NamedTuple):
    """The move table: each class's kind of move and its label's number (0: no label)."""

    kinds: numpy.ndarray
    labels: numpy.ndarray
    names: List[str]  # the label names by number, "" first


def move_table(move_names: Sequence[str]) -> Moves:
    """The kinds and label numbers of spaCy's BILUO move names ("B-Application", "O")."""
    names = [""]
    kinds, labels = [], []
    for move in move_names:
        kind, _, label = move.partition("-")
        if kind not in KINDS:
            raise ValueError(f"not a BILUO move of spaCy's NER: {move!r}")
        if label not in names:
            names.append(label)
        kinds.append(KINDS[kind])
        labels.append(names.index(label))
    return Moves(numpy.asarray(kinds, dtype="int32"), numpy.asarray(labels, dtype="int32"), names)


def token_flags(docs: Sequence[Doc], width: int) -> Tuple[numpy.ndarray, numpy.ndarray]:
    """Per document and position (padded to ``width``): whether the token is white space,
    and whether the *next* token starts a sentence (``sent_start == 1``)."""
    space = numpy.zeros((len(docs), width), dtype=bool)
    next_starts = numpy.zeros((len(docs), width), dtype=bool)
    for row, doc in enumerate(docs):
        if len(doc):
            flags = doc.to_array(["IS_SPACE", "SENT_START"]).astype("int64")
            space[row, : len(doc)] = flags[:, 0] == 1
            next_starts[row, : len(doc) - 1] = flags[1:, 1] == 1
    return space, next_starts


def greedy_biluo(ops: Ops, docs: Sequence[Doc], features: Floats4d, bias: Floats2d, moves: Moves, unseen: Sequence[int] = ()) -> List[List[Entity]]:
    """The entities of spaCy's greedy NER decoding of ``docs``. ``features`` is the NER's
    precomputed lower layer over the batch's tokens, shape (1 + tokens, 3, classes, pieces),
    its first row the padding; ``bias`` (classes, pieces) is the lower layer's bias. Classes
    past the moves (a model's output can be wider than its moves) are never valid; the
    ``unseen`` classes (added after training, not trained since) score the step's lowest
    score, as in spaCy."""
    xp = ops.xp
    unseen_mask = xp.asarray(numpy.isin(numpy.arange(features.shape[2]), numpy.asarray(unseen, dtype="int64")))
    lengths = numpy.asarray([len(doc) for doc in docs], dtype="int64")
    width = int(lengths.max(initial=0))
    space, next_starts = token_flags(docs, width)
    last = numpy.arange(width)[None, :] == (lengths - 1)[:, None]
    token_codes = xp.asarray((~last * 4 + next_starts * 2 + space).astype("int64"))  # see validity_table
    kinds, labels = xp.asarray(moves.kinds), xp.asarray(moves.labels)
    valid_by_code = validity_table(xp, kinds, labels, len(moves.names))
    offsets = xp.asarray(numpy.concatenate([[0], numpy.cumsum(lengths)[:-1]]).astype("int64") + 1)  # +1: the padding row
    done = xp.asarray(numpy.arange(width)[:, None] >= lengths[None, :])  # (steps, docs)
    open_start = xp.full((len(docs),), -1, dtype="int64")  # the open entity's first token, -1 when none
    open_label = xp.zeros((len(docs),), dtype="int64")  # its label's number, 0 when none
    actions = xp.zeros((width, len(docs)), dtype="int32")
    n_moves, n_pieces = len(moves.kinds), features.shape[-1]
    for t in range(width):
        is_open = open_start >= 0
        current = xp.where(done[t], 0, offsets + t)
        # the context tokens of spaCy's NER state: B(0), the open entity's first token,
        # B(0) - 1 while an entity is open; the padding row otherwise. Summed in spaCy's order.
        hidden = features[current, 0] + features[xp.where(is_open, offsets + open_start, 0), 1]
        hidden = hidden + features[xp.where(is_open, current - 1, 0), 2] + bias
        scores = hidden[..., 0]
        for piece in range(1, n_pieces):  # maxout
            scores = xp.maximum(scores, hidden[..., piece])
        if len(unseen):  # spaCy's minimum is over the unfinished states' scores
            scores = xp.where(unseen_mask, scores[~done[t]].min(), scores)
        valid = valid_by_code[open_label * 8 + token_codes[:, t]]
        guess = xp.where(valid, scores[:, :n_moves], -xp.inf).argmax(axis=1)
        actions[t] = guess
        kind = xp.where(done[t], OUT, kinds[guess])
        open_start = xp.where(kind == BEGIN, t, xp.where(kind == LAST, -1, open_start))
        open_label = xp.where(kind == BEGIN, labels[guess], xp.where(kind == LAST, 0, open_label))
    return entities_of(ops.to_numpy(actions), lengths, moves)


def validity_table(xp, kinds, labels, n_labels: int):
    """(codes, classes): the moves spaCy's ``BiluoPushDown`` allows (no preset entities) to
    a state whose code is ``open label * 8 + more * 4 + next starts * 2 + space``: the open
    entity's label number (0: none open), whether the state's token is not the document's
    last, whether the next token starts a sentence, whether this one is white space. B and
    U not on white space, B and I neither on the last token nor before a sentence start, I
    and L only with the open entity's label, O only outside an entity."""
    codes = xp.arange(n_labels * 8)
    open_label, more, ends_sentence, white = codes // 8, (codes // 4) % 2 == 1, (codes // 2) % 2 == 1, codes % 2 == 1
    opened, closed = (open_label != 0)[:, None], (open_label == 0)[:, None]
    more, ends_sentence, white = more[:, None], ends_sentence[:, None], white[:, None]
    same_label = labels[None, :] == open_label[:, None]
    labelled = labels[None, :] != 0
    valid = xp.where(kinds == OUT, closed, opened & same_label & labelled)  # O, L
    valid = xp.where(kinds == UNIT, closed & ~white & labelled, valid)
    valid = xp.where(kinds == IN, opened & more & same_label & ~ends_sentence, valid)
    return xp.where(kinds == BEGIN, closed & more & ~ends_sentence & ~white & labelled, valid)


def entities_of(actions: numpy.ndarray, lengths: numpy.ndarray, moves: Moves) -> List[List[Entity]]:
    """Each document's entities from the actions taken (steps, docs): a B opens an entity
    that the document's next L closes, a U is an entity of one token."""
    taken = numpy.arange(actions.shape[0])[:, None] < lengths[None, :]
    kinds = numpy.where(taken, moves.kinds[actions], OUT).T  # (docs, steps)
    labels = moves.labels[actions].T
    entities: List[List[Entity]] = [[] for _ in lengths]
    begin_docs, begins = numpy.nonzero(kinds == BEGIN)
    _, lasts = numpy.nonzero(kinds == LAST)  # in the same (doc, step) order: each B's L
    unit_docs, units = numpy.nonzero(kinds == UNIT)
    for docs, starts, ends in ((begin_docs, begins, lasts + 1), (unit_docs, units, units + 1)):
        for doc, start, end in zip(docs.tolist(), starts.tolist(), ends.tolist()):
            entities[doc].append((start, end, moves.names[labels[doc, start]]))
    return [sorted(doc_entities) for doc_entities in entities]
