"""The label sets and the Doc extensions of the package, defined once: the SOMD entity and
relation types, the entity types that name software, and the extension attributes that
hold the gold and predicted relations and the corpus line of a doc."""

from spacy.tokens import Doc

ENTITY_TYPES = (
    "Application",
    "PlugIn",
    "ProgrammingEnvironment",
    "OperatingSystem",
    "Version",
    "Developer",
    "URL",
    "Citation",
    "License",
    "Release",
    "Extension",
    "Abbreviation",
    "AlternativeName",
    "SoftwareCoreference",
)
RELATION_TYPES = (
    "Version_of",
    "Developer_of",
    "Citation_of",
    "URL_of",
    "PlugIn_of",
    "Release_of",
    "Abbreviation_of",
    "Specification_of",
    "Extension_of",
    "License_of",
    "AlternativeName_of",
)
# the entity types that name a piece of software (the others are its attributes)
SOFTWARE_TYPES = ("Application", "PlugIn", "ProgrammingEnvironment", "OperatingSystem")

# what an article did with a software it mentions (Softcite's used / created / shared):
# the flags of ``somd_software_usage``, and the span group and span extension that hold them
USAGE_FLAGS = ("used", "created", "shared")
USAGE_KEY = "somd_usage"

RELATIONS_ATTR = "somd_relations"
LINE_ATTR = "somd_line"
# True on a training doc whose annotation is partial (a sentence of another corpus): its
# entities and the tokens gold O are known; the tokens of its missing spans, its relations
# and the categories its cats do not list are not, and nothing is learnt from them
PARTIAL_ATTR = "somd_partial"


def ensure_extensions() -> None:
    """Register the Doc extensions this package uses (idempotent)."""
    for name in (RELATIONS_ATTR, LINE_ATTR):
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=None)
    if not Doc.has_extension(PARTIAL_ATTR):
        Doc.set_extension(PARTIAL_ATTR, default=False)
