"""Token vectors with case and shape beside an uncased backbone.

all-MiniLM-L6-v2 lower-cases its input, so "SPSS", "Spss" and "spss" look alike to it,
while the shape of a word ("XXXX", "Xxxxx", "xxxd.d") says much about software names
and versions. The architecture here concatenates a contextual tok2vec (the transformer
listener) with spaCy's hash embeddings of surface features (``spacy.MultiHashEmbed.v2``
over NORM, PREFIX, SUFFIX, SHAPE: PREFIX, SUFFIX and SHAPE keep the case) and maps the
result to a set width."""
from typing import Callable, List, Optional, Tuple

from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Maxout, Model
from thinc.types import Floats2d

Tok2Vec = Model[List[Doc], List[Floats2d]]


@registry.architectures("spacy_somd.CasedTok2Vec.v1")
def build_cased_tok2vec(tok2vec: Tok2Vec, embed: Tok2Vec, width: int, maxout_pieces: int = 3) -> Tok2Vec:
    """Per token: ``tok2vec``'s vector (e.g. ``spacy-transformers.TransformerListener.v1``)
    and ``embed``'s (e.g. ``spacy.MultiHashEmbed.v2``) side by side, then a layer-normalized
    Maxout of ``width`` outputs (``maxout_pieces`` pieces; its input width is inferred at
    initialization) and dropout at ``[training] dropout`` (which spaCy sets on every
    update). Refs: ``tok2vec``, ``embed``, ``output_layer``.

    Like thinc's ``concatenate`` >> ``with_array``, but the token vectors are flattened
    with ``ops.flatten``, which skips empty docs: the transformer listener gives an empty
    doc a (0, 0) array, which thinc's ``concatenate`` cannot stack with (0, w) ones."""
    output_layer = Maxout(nO=width, nP=maxout_pieces, normalize=True, dropout=0.0)
    return Model(
        "cased_tok2vec",
        forward,
        init=init,
        layers=[tok2vec, embed, output_layer],
        refs={"tok2vec": tok2vec, "embed": embed, "output_layer": output_layer},
        dims={"nO": width},
    )


def side_by_side(model: Model, docs: List[Doc], is_train: bool) -> Tuple[Floats2d, Callable[[Floats2d], None]]:
    """The flattened token vectors of ``tok2vec`` and ``embed`` as one array (a row per
    token of the batch), and the backpropagation into both."""
    tok2vec, embed = model.get_ref("tok2vec"), model.get_ref("embed")
    ops = model.ops
    lengths = ops.asarray1i([len(doc) for doc in docs])
    contextual, backprop_contextual = tok2vec(docs, is_train)
    surface, backprop_surface = embed(docs, is_train)
    flat_contextual = ops.flatten(contextual)
    split = flat_contextual.shape[1]

    def backprop(d_rows: Floats2d) -> None:
        backprop_contextual(ops.unflatten(ops.as_contig(d_rows[:, :split]), lengths))
        backprop_surface(ops.unflatten(ops.as_contig(d_rows[:, split:]), lengths))

    return ops.xp.hstack([flat_contextual, ops.flatten(surface)]), backprop


def forward(model: Model, docs: List[Doc], is_train: bool) -> Tuple[List[Floats2d], Callable]:
    """A (len(doc), nO) array per doc; the gradient goes into ``tok2vec`` and ``embed``."""
    ops = model.ops
    lengths = ops.asarray1i([len(doc) for doc in docs])
    if not int(lengths.sum()):
        return [ops.alloc2f(0, model.get_dim("nO")) for _ in docs], lambda d_vectors: []
    rows, backprop_rows = side_by_side(model, docs, is_train)
    vectors, backprop_output = model.get_ref("output_layer")(rows, is_train)

    def backprop(d_vectors: List[Floats2d]) -> List[Doc]:
        backprop_rows(backprop_output(ops.flatten(d_vectors)))
        return []

    return ops.unflatten(vectors, lengths), backprop


def init(model: Model, X: Optional[List[Doc]] = None, Y: Optional[List[Floats2d]] = None) -> None:
    """Initializes ``tok2vec`` and ``embed`` on ``X``, then the output layer on their
    vectors of ``X`` (which sets its input width)."""
    model.get_ref("tok2vec").initialize(X=X)
    model.get_ref("embed").initialize(X=X)
    rows = side_by_side(model, X, is_train=False)[0] if X is not None and any(len(doc) for doc in X) else None
    model.get_ref("output_layer").initialize(X=rows)
