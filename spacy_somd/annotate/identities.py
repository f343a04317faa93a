"""Software identities: a canonical name for every software mention, written into its
output record, and tables of the software of each document and of the whole output.

Rules, in this order, for a mention's ``canonical`` name:

1. Unicode compatibility forms (NFKC), trade marks (®, ™) removed, white space runs
   made single spaces, quotes, brackets and punctuation around the name removed.
2. Trailing versions removed (``SPSS 22``, ``MATLAB R2016b``, ``Python v3.8``,
   ``ImageJ version 1.52``); such a version counts among the versions seen.
3. Trailing generic words removed: software, package, toolbox, toolkit, program,
   programme, library, tool, suite (and "statistical" before them): ``lme4 package`` is
   ``lme4``.
4. The vendor prefixes of ``VENDORS`` removed (``IBM SPSS Statistics`` is ``SPSS
   Statistics``, ``Microsoft Excel`` is ``Excel``); other first words stay (``GraphPad
   Prism``, ``Google Earth``).
5. An alias table (``--aliases``) maps a name (after the rules above, any case, any
   spacing or hyphens) to its canonical name.

A mention's ``identity`` is its canonical name case-folded, without spaces, hyphens,
underscores and dots (``Image J``, ``image-j`` and ``ImageJ`` are ``imagej``). The tables
join the identities that the pipeline's own ``Abbreviation_of`` and ``AlternativeName_of``
relations join anywhere in the output where the shorter name fits the longer (its letters
in order, its first letter a word's: "Statistical Package for the Social Sciences (SPSS)"
joins ``spss``; :func:`fits`), and name a joined identity by its most frequent canonical
name (the row's identity is that name's).

Identifiers come only from evidence: a URL in a ``URL_of`` relation to the software that is
a code host or package index address (``github.com/OWNER/REPO`` is ``github:OWNER/REPO``;
see ``URL_IDENTIFIERS``), written with the URL; or the identifier columns of the alias
table (wikidata, rrid, swhid, ...), written with the table's file and line."""

import csv
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Set, Tuple

from spacy_somd.annotate.inputs import InputError
from spacy_somd.labels import SOFTWARE_TYPES

VENDORS = ("IBM", "Microsoft", "MS", "Adobe", "MathWorks", "Wolfram", "Esri", "ESRI", "Oracle", "SAP", "Autodesk", "Apple")
GENERIC = ("software", "package", "packages", "toolbox", "toolkit", "program", "programme", "library", "tool", "suite")
VERSION = re.compile(r"\s*(?:\b(?:version|ver\.?|v\.?|release)\s*)?\b(?:v?\d+(?:[._-]\d+)*[a-z]?|R20\d\d[ab])$", re.I)
AROUND = "\"'“”‘’«»()[]{}<>,;:.!? "
MARKS = re.compile(r"[®™©℠]")  # trade marks are no part of a name
JOINING = ("Abbreviation_of", "AlternativeName_of")
KEY_DROP = re.compile(r"[\s\-_.\u2010-\u2015]+")
# code hosts and package indexes: (scheme, pattern of the URL without scheme and www.)
URL_IDENTIFIERS = (
    ("github", re.compile(r"^github\.com/([\w.-]+/[\w.-]+?)(?:\.git)?(?:[/#?].*)?$", re.I)),
    ("gitlab", re.compile(r"^gitlab\.com/([\w.-]+/[\w.-]+?)(?:\.git)?(?:[/#?].*)?$", re.I)),
    ("bitbucket", re.compile(r"^bitbucket\.org/([\w.-]+/[\w.-]+?)(?:\.git)?(?:[/#?].*)?$", re.I)),
    ("cran", re.compile(r"^cran\.r-project\.org/(?:web/packages/([\w.]+)|package=([\w.]+))", re.I)),
    ("pypi", re.compile(r"^pypi\.(?:org/project|python\.org/pypi)/([\w.-]+)", re.I)),
    ("bioconductor", re.compile(r"^(?:www\.)?bioconductor\.org/packages/(?:(?:release|devel|[\d.]+)/bioc/html/)?([\w.]+?)(?:\.html)?(?:[/#?].*)?$", re.I)),
    ("sourceforge", re.compile(r"^sourceforge\.net/projects/([\w.-]+)", re.I)),
    ("npm", re.compile(r"^npmjs\.com/package/([\w@./-]+)", re.I)),
    ("crates", re.compile(r"^crates\.io/crates/([\w-]+)", re.I)),
    ("conda", re.compile(r"^anaconda\.org/([\w.-]+/[\w.-]+)", re.I)),
)


def clean(text: str) -> Tuple[str, Optional[str]]:
    """A mention's name by rules 1 to 4, and the version it ended with (or None)."""
    name = " ".join(MARKS.sub("", unicodedata.normalize("NFKC", text)).split()).strip(AROUND)
    version = None
    match = VERSION.search(name)
    if match and match.start() > 0:
        version = re.sub(r"^(version|ver\.?|v\.?|release)\s*", "", match.group().strip(), flags=re.I)
        name = name[: match.start()].strip(AROUND)
    words = name.split(" ")
    if len(words) > 1 and words[-1].lower() in GENERIC:
        words.pop()
        if len(words) > 1 and words[-1].lower() == "statistical":
            words.pop()
    if len(words) > 1 and words[0] in VENDORS:
        words.pop(0)
    return " ".join(words).strip(AROUND) or name, version


def identity(name: str) -> str:
    """The identity of a canonical name: case-folded, without spaces, hyphens, underscores
    and dots."""
    return KEY_DROP.sub("", name.casefold()) or name.casefold()


@dataclass
class Alias:
    canonical: str
    identifiers: List[Tuple[str, str]]  # (scheme:value, evidence)


def read_aliases(path: Path) -> Dict[str, Alias]:
    """An alias table: TSV with a header naming ``alias`` and ``canonical`` and any
    identifier columns (wikidata, rrid, swhid...); the identity of each alias (and of each
    canonical name) to its canonical name and identifiers. A file without those columns,
    or a line without a canonical name, is an :class:`InputError` naming the file and line."""
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as err:
        raise InputError(f"{path}: cannot read the alias table ({err.strerror or err})") from None
    aliases: Dict[str, Alias] = {}
    with handle:
        try:
            rows = list(csv.reader(handle, delimiter="\t"))
        except UnicodeDecodeError as err:
            raise InputError(f"{path}: the alias table is not UTF-8 ({err.reason})") from None
        header = [cell.strip().lower() for cell in rows[0]] if rows else []
        if "alias" not in header or "canonical" not in header:
            raise InputError(f"{path}, line 1: an alias table needs a header with the columns alias and canonical (tab-separated), not {header}")
        for number, row in enumerate(rows[1:], start=2):
            if not any(cell.strip() for cell in row):
                continue
            cells = dict(zip(header, (cell.strip() for cell in row)))
            if not cells.get("alias") or not cells.get("canonical"):
                raise InputError(f"{path}, line {number}: an alias and a canonical name are needed")
            evidence = f"{path.name}, line {number}"
            found = [(f"{scheme}:{value}", evidence) for scheme, value in cells.items() if scheme not in ("alias", "canonical") and value]
            for name in (cells["alias"], cells["canonical"]):
                entry = aliases.setdefault(identity(clean(name)[0]), Alias(cells["canonical"], []))
                entry.identifiers += [i for i in found if i not in entry.identifiers]
    return aliases


def url_identifier(url: str) -> Optional[str]:
    """The identifier a code host or package index URL gives (``github:OWNER/REPO``), or
    None. PDF extraction spaces (``http: // github.com``) are removed first."""
    bare = re.sub(r"^(https?|ftp):/+", "", re.sub(r"\s+", "", url), flags=re.I).rstrip(".,;)")
    bare = re.sub(r"^www\.", "", bare, flags=re.I)
    for scheme, pattern in URL_IDENTIFIERS:
        match = pattern.match(bare)
        if match:
            value = next(group for group in match.groups() if group)
            return f"{scheme}:{value}"
    return None


def annotate_record(record: Dict[str, Any], aliases: Optional[Dict[str, Alias]] = None) -> None:
    """Write ``canonical`` and ``identity`` into the record's software mentions and into
    the abbreviations and alternative names that a relation joins to one."""
    entities = record["entities"]
    joined = {rel["attribute"] for rel in record["relations"] if rel["type"] in JOINING}
    for number, entity in enumerate(entities):
        if entity["label"] in SOFTWARE_TYPES or number in joined:
            name = clean(entity["text"])[0]
            alias = (aliases or {}).get(identity(name))
            name = alias.canonical if alias else name
            entity["canonical"], entity["identity"] = name, identity(name)


@dataclass
class Software:
    """What the tables say of one identity."""

    names: Counter = field(default_factory=Counter)  # canonical names
    variants: Set[str] = field(default_factory=set)  # mention texts
    types: Counter = field(default_factory=Counter)
    versions: Set[str] = field(default_factory=set)
    developers: Set[str] = field(default_factory=set)
    urls: Set[str] = field(default_factory=set)
    identifiers: Set[Tuple[str, str]] = field(default_factory=set)
    mentions: int = 0
    documents: Set[str] = field(default_factory=set)

    def merge(self, other: "Software") -> None:
        self.names.update(other.names)
        self.types.update(other.types)
        self.mentions += other.mentions
        for name in ("variants", "versions", "developers", "urls", "identifiers", "documents"):
            getattr(self, name).update(getattr(other, name))


class Joins:
    """The identities joined by relations (a union-find over identities)."""

    def __init__(self) -> None:
        self.parent: Dict[str, str] = {}

    def find(self, key: str) -> str:
        root = key
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while self.parent.get(key, key) != root:  # path compression
            self.parent[key], key = root, self.parent[key]
        return root

    def join(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def add_record(self, record: Dict[str, Any]) -> None:
        """Join the identities that the record's abbreviation and alternative-name
        relations relate, where the names fit (:func:`fits`)."""
        entities = record["entities"]
        for rel in record["relations"]:
            if rel["type"] in JOINING:
                attribute, software = entities[rel["attribute"]], entities[rel["software"]]
                a, b = attribute.get("identity"), software.get("identity")
                if a and b and fits(attribute["canonical"], software["canonical"]):
                    self.join(a, b)


def fits(a: str, b: str) -> bool:
    """Whether the shorter of two names could stand for the longer: its letters and digits
    appear in the longer's in order, its first one first in one of the longer's words
    (``SPSS`` fits "Statistical Package for the Social Sciences", ``Fiji`` does not fit
    ``ImageJ``). A pipeline's relation between names that do not fit joins nothing."""
    short, long = sorted((a, b), key=len)
    chars = [c for c in short.casefold() if c.isalnum()]
    if not chars:
        return False
    words = re.findall(r"\w+", long.casefold())
    for start, word in enumerate(words):
        if word[0] == chars[0]:
            rest = "".join(words[start:])[1:]
            position = 0
            for char in chars[1:]:
                position = rest.find(char, position) + 1
                if not position:
                    break
            else:
                return True
    return False


def record_software(record: Dict[str, Any], document: str, aliases: Optional[Dict[str, Alias]] = None) -> Iterator[Tuple[str, Software]]:
    """The record's software mentions, each as (identity, what it says of it)."""
    entities = record["entities"]
    attributes: Dict[int, List[Tuple[str, str]]] = {}
    for rel in record["relations"]:
        attributes.setdefault(rel["software"], []).append((rel["type"], entities[rel["attribute"]]["text"]))
    for number, entity in enumerate(entities):
        if entity["label"] not in SOFTWARE_TYPES or not entity.get("identity"):
            continue
        key = entity["identity"]
        info = Software(mentions=1, documents={document})
        info.names[entity["canonical"]] += 1
        info.types[entity["label"]] += 1
        info.variants.add(" ".join(entity["text"].split()))
        version = clean(entity["text"])[1]
        if version:
            info.versions.add(version)
        for type_, text in attributes.get(number, []):
            text = " ".join(text.split())
            if type_ in ("Version_of", "Release_of"):
                info.versions.add(text)
            elif type_ == "Developer_of":
                info.developers.add(text)
            elif type_ == "URL_of":
                info.urls.add(text)
                found = url_identifier(text)
                if found:
                    info.identifiers.add((found, f"URL {text}"))
        alias = (aliases or {}).get(key)
        if alias:
            info.identifiers.update(alias.identifiers)
        yield key, info


TABLE_HEADER = ("canonical", "identity", "type", "names", "versions", "developers", "urls", "identifiers", "mentions", "documents")


def rows(table: Dict[str, Software]) -> List[Tuple[Any, ...]]:
    """Table rows, most mentioned first, then by identity; lists joined by ``; ``, each
    identifier followed by its evidence in brackets."""
    out = []
    for _, info in sorted(table.items(), key=lambda item: (-item[1].mentions, item[0])):
        name = sorted(info.names.items(), key=lambda item: (-item[1], item[0]))[0][0]
        type_ = sorted(info.types.items(), key=lambda item: (-item[1], item[0]))[0][0]
        identifiers = "; ".join(f"{value} [{evidence}]" for value, evidence in sorted(info.identifiers))
        lists = ["; ".join(sorted(getattr(info, name))) for name in ("variants", "versions", "developers", "urls")]
        out.append((name, identity(name), type_, *lists, identifiers, info.mentions, len(info.documents)))
    return out


def tsv(table_rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """TSV lines, tabs and line breaks in cells made spaces."""
    for row in table_rows:
        yield "\t".join(" ".join(str(cell).split()) for cell in row) + "\n"
