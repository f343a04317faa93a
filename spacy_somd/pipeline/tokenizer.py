"""The raw-text tokenizer: spaCy's English rules, adjusted to split the way the SOMD corpus
is tokenized (citation brackets and versions stay whole, parentheses and hyphens split)."""

import re
from typing import Callable, Iterable, List, Pattern, Union

from spacy.attrs import ORTH
from spacy.lang.char_classes import UNITS
from spacy.lang.en import English
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex, registry

from spacy_somd.corpus.conventions import CITATION, CITATION_AFTER_BRACKET

UNIT_SUFFIX = rf"(?<=[0-9])(?:{UNITS})"  # English splits "4GB" and "95%"; the corpus only "95 %"


Affix = Union[str, Pattern]


def somd_prefixes() -> List[Affix]:
    """English prefixes, except that "[" opening a citation stays attached."""
    return [p for p in English.Defaults.prefixes or () if p != r"\["] + [rf"\[(?!{CITATION_AFTER_BRACKET})"]


def somd_suffixes() -> List[Affix]:
    """English suffixes, except that units stay attached to numbers (but "%" does not)."""
    return [s for s in English.Defaults.suffixes or () if s != UNIT_SUFFIX] + [r"(?<=[0-9])%"]


@registry.tokenizers("spacy_somd.SomdTokenizer.v1")
def create_somd_tokenizer(abbreviations: Iterable[str]) -> Callable[[Language], Tokenizer]:
    """spaCy's rule-based tokenizer with the corpus's conventions. Only the
    ``abbreviations`` keep their final period (the corpus writes "Inc .", "al ." but
    "v.", "e.g."); citation brackets and URLs are single tokens."""

    def make(nlp: Language) -> Tokenizer:
        return Tokenizer(
            nlp.vocab,
            rules={text: [{ORTH: text}] for text in abbreviations},
            prefix_search=compile_prefix_regex(somd_prefixes()).search,
            suffix_search=compile_suffix_regex(somd_suffixes()).search,
            infix_finditer=compile_infix_regex(English.Defaults.infixes).finditer,
            token_match=re.compile(rf"^{CITATION.pattern}$").match,
            url_match=English.Defaults.url_match,
        )

    return make
