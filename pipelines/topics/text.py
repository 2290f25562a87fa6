"""The keyword tokeniser: title, abstract and HF ai_keywords to keyword counts.

One implementation serves every topic feature: the learned topics cluster on these
keywords, and the dbt marts ``paper_keywords``/``dim_keywords`` and the c-TF-IDF of every
topic read them from ``raw.paper_terms``.

Rules, in order:

1. NFKC; URLs (``http(s)://…``, ``www.…``) and LaTeX are stripped (a URL, a formula or a citation
   ends a keyword run): inline and display math
   (``$…$``, ``$$…$$``, ``\\(…\\)``, ``\\[…\\]``) go whole, a command (``\\textbf``,
   ``\\emph``) goes but keeps its braced argument's words.
2. The text splits into segments at sentence and clause punctuation, so that no keyword spans
   ``models. Language`` or ``(LLMs), and``; a segment splits into lowercase word tokens at any
   other non-alphanumeric character (``vision-language`` → ``vision``, ``language``).
3. Tokens that are numbers, single characters or stopwords (English function words plus
   scholarly boilerplate such as ``propose``, ``results``, ``novel``) end a run; keywords are
   the 1–3-grams inside a run, plus ``X of Y`` trigrams (``chain of thought``,
   ``mixture of expert``) whose ends are content words.
4. Every token is folded to its singular (:func:`singular`): ``models`` → ``model``,
   ``studies`` → ``study``, ``processes`` → ``process``, ``LLMs`` → ``llm``; words that only look
   plural (``analysis``, ``bias``, ``robotics``, ``series``) stay.
5. Each HF ai_keyword is one keyword, however long: the same tokens and folding, stopwords kept
   inside (``Chain-of-Thought`` → ``chain of thought``, ``LLMs`` → ``llm``), so ai_keywords and
   text n-grams meet on one vocabulary.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

MAX_NGRAM = 3

_URL = re.compile(r"(?:https?://|ftp://|www\.)\S+", re.IGNORECASE)
_MATH = re.compile(r"\$\$.*?\$\$|\$[^$]*\$|\\\(.*?\\\)|\\\[.*?\\\]", re.DOTALL)
# Citations, references and links go with their argument; other commands keep it.
_REFERENCE = re.compile(r"\\(?:cite[a-z]*|ref|eqref|label|url|href)\*?\{[^}]*\}")
_COMMAND = re.compile(r"\\[a-zA-Z]+\*?|\\.")
# Hyphenated prefixes join their word, so "pre-training" and "pretraining" are one keyword.
_PREFIX = re.compile(r"\b(pre|post|multi|non|co|re|semi|sub|anti|inter|intra|meta|fine)-(?=[^\W\d_])", re.IGNORECASE)
# Boilerplate phrases whose words would otherwise become keywords ("state", "art").
_BOILERPLATE = re.compile(r"\bstate[- ]of[- ]the[- ]arts?\b|\bsota\b", re.IGNORECASE)
# Clause boundaries: a keyword never spans one. Hyphens, slashes and apostrophes split words only.
_SEGMENT = re.compile(r"[.,;:!?()\[\]{}\"“”«»|•·–—]+|\s-\s|\n")
_WORD = re.compile(r"[^\W_]+")

# English function words (the usual ~180) and words of scholarly boilerplate that say nothing
# about a paper's subject. Subject words, however frequent ("model", "language", "data",
# "learning", "system"), are not stopwords: c-TF-IDF and the document-frequency cut handle them.
STOPWORDS = frozenset(  # one word list is easier to read and edit than a list literal
    """
    a about above across after afterwards again against all almost alone along already also although always am
    among amongst an and another any anyhow anyone anything anyway anywhere are around as at be became because
    become becomes becoming been before beforehand behind being below beside besides between beyond both but by
    can cannot could did do does doing done down during each eg either else elsewhere enough etc even ever every
    everyone everything everywhere except few for former formerly from further furthermore had has have having he
    hence her here hereby herein hers herself him himself his how however i ie if in indeed into is it its itself
    just last latter least less let like likely made make makes making many may me meanwhile might more moreover
    most mostly much must my myself namely neither never nevertheless next no nobody none nor not nothing now
    nowhere of off often on once one only onto or other others otherwise our ours ourselves out over own per
    perhaps quite rather really same several she should since so some somehow someone something sometimes somewhat
    still such than that the their theirs them themselves then thence there thereafter thereby therefore therein
    these they this those though through throughout thus to together too toward towards under until up upon us
    very via was we well were what whatever when whence whenever where whereas whereby wherein whether which while
    who whoever whole whom whose why will with within without would yet you your yours yourself yourselves
    able accordingly achieve achieved achieves achieving additionally address addresses addressing aim aims allow
    allows approach approaches based best better challenge challenging consider considered contribution
    contributions current currently demonstrate demonstrated demonstrates demonstrating describe described
    design designed develop developed different directly easily effective effectively efficient efficiently
    empirical empirically enable enables enabling especially establish evaluate evaluated existing experiment
    experimental experiments explore extensive extensively facilitate finally find findings first focus furthermore
    given good high higher highly however important improve improved improvement improvements improves improving
    include includes including increase increasingly insight insights introduce introduced introduces introducing
    issue issues key known large-scale lead leading leverage leverages leveraging limited limitation limitations
    low lower main method methods moreover multiple need needs new notably novel numerous obtain obtained offer
    offers outperform outperforming outperforms overall paper particular particularly perform performance
    performs potential present presented presents previous primarily problem problems promising propose proposed
    proposes provide provided provides providing recent recently remain remains reported require requires
    research result results reveal see reveals second set show showing shown shows significant significantly similar
    simple simultaneously specific specifically strong study studies substantial substantially
    successfully suggest superior take task tasks third three two typically understand understanding use used
    useful uses using various way ways widely work works yield yields
    """.split()  # noqa: SIM905
)
# A trigram "X of Y" keeps these connectors between two content words (chain of thought).
CONNECTORS = frozenset({"of"})

# Words that end in -s but are not plurals, or whose singular is irregular.
_NOT_PLURAL = frozenset(
    """
    alias analysis atlas basis bias canvas chaos class corpus consensus diagnosis emphasis ethics gas genesis
    hypothesis lens mathematics news nucleus physics plus process prognosis radius series species status
    synthesis thesis versus virus
    """.split()  # noqa: SIM905
)
_IRREGULAR = {
    "analyses": "analysis",
    "axes": "axis",
    "bases": "base",
    "caches": "cache",
    "criteria": "criterion",
    "diagnoses": "diagnosis",
    "hypotheses": "hypothesis",
    "indices": "index",
    "matrices": "matrix",
    "movies": "movie",
    "phenomena": "phenomenon",
    "vertices": "vertex",
    "theses": "thesis",
    "syntheses": "synthesis",
    "children": "child",
    "men": "man",
    "women": "woman",
    "people": "person",
}


def singular(word: str) -> str:
    """Fold an English plural to its singular by suffix rules (lowercase input).

    >>> [singular(w) for w in ["models", "studies", "processes", "patches", "llms", "analysis", "robotics"]]
    ['model', 'study', 'process', 'patch', 'llm', 'analysis', 'robotics']
    """
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3 or word in _NOT_PLURAL or not word.endswith("s") or not word.isalpha():
        return word
    if word.endswith(("ss", "us", "is", "ics", "ous", "ness")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "zzes")):
        return word[:-2]
    return word[:-1]


def clean_text(text: str | None) -> str:
    """NFKC text without URLs or LaTeX math and commands (a command's braced argument stays)."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = _URL.sub(" , ", text)
    text = _MATH.sub(" , ", text)
    text = _REFERENCE.sub(" , ", text)
    text = _COMMAND.sub(" ", text)
    text = _BOILERPLATE.sub(" , ", text)
    text = _PREFIX.sub(r"\1", text)
    return text.replace("{", " ").replace("}", " ").replace("~", " ")


def _words(segment: str) -> list[str]:
    return [w for w in _WORD.findall(segment.casefold())]


def _is_content(word: str) -> bool:
    return len(word) > 1 and not word.isdigit() and word not in STOPWORDS


def text_keywords(text: str | None, max_n: int = MAX_NGRAM) -> Counter[str]:
    """Keyword counts of free text (title, abstract): 1..max_n-grams inside stopword-free runs."""
    counts: Counter[str] = Counter()
    for segment in _SEGMENT.split(clean_text(text)):
        words = _words(segment)
        folded = [singular(w) if _is_content(w) else None for w in words]
        run: list[str] = []
        for word in [*folded, None]:
            if word is not None:
                run.append(word)
                continue
            for n in range(1, max_n + 1):
                for i in range(len(run) - n + 1):
                    counts[" ".join(run[i : i + n])] += 1
            run = []
        # "X of Y": two content words around a connector.
        for i in range(1, len(words) - 1):
            if words[i] in CONNECTORS and folded[i - 1] and folded[i + 1]:
                counts[f"{folded[i - 1]} {words[i]} {folded[i + 1]}"] += 1
    return counts


def keyword_phrase(keyword: str | None) -> str | None:
    """One HF ai_keyword as one normalised keyword: lowercase words, singular, edge stopwords trimmed."""
    words = [w for w in _words(clean_text(keyword)) if not w.isdigit() or len(w) > 1]
    while words and (words[0] in STOPWORDS or len(words[0]) < 2):
        words.pop(0)
    while words and (words[-1] in STOPWORDS or len(words[-1]) < 2):
        words.pop()
    phrase = " ".join(singular(w) if w not in STOPWORDS else w for w in words)
    return phrase or None


@dataclass
class PaperKeywords:
    """A paper's keywords: occurrences in title and abstract, and which came from its ai_keywords."""

    title: Counter[str] = field(default_factory=Counter)
    abstract: Counter[str] = field(default_factory=Counter)
    ai_keywords: set[str] = field(default_factory=set)

    def counts(self) -> Counter[str]:
        """Occurrences in title + abstract; an ai_keyword absent from the text counts once."""
        total = self.title + self.abstract
        for keyword in self.ai_keywords:
            total[keyword] = max(total[keyword], 1)
        return total


def paper_keywords(
    title: str | None, abstract: str | None, ai_keywords: Sequence[str] | None = None, max_n: int = MAX_NGRAM
) -> PaperKeywords:
    phrases = {keyword_phrase(k) for k in ai_keywords or ()}
    return PaperKeywords(
        title=text_keywords(title, max_n),
        abstract=text_keywords(abstract, max_n),
        ai_keywords={p for p in phrases if p},
    )


def keyword_rows(papers: Iterable[tuple[str, str | None, str | None, Sequence[str] | None]], max_n: int = MAX_NGRAM):
    """(paper_id, title, abstract, ai_keywords) → rows (paper_id, keyword, words, occurrences, title_occurrences, from_ai_keywords)."""
    for paper_id, title, abstract, ai_keywords in papers:
        found = paper_keywords(title, abstract, ai_keywords, max_n)
        for keyword, count in sorted(found.counts().items()):
            yield (
                paper_id,
                keyword,
                keyword.count(" ") + 1,
                count,
                found.title.get(keyword, 0),
                keyword in found.ai_keywords,
            )
