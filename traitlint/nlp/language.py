"""Which prefills are English: a per-text check on function words, for the audits that read an English parse.

Why per text: a trait folder may be English on one side and Spanish on the other (a language
trait), or English with some lines in French. The topic model (TL301) and the frame audits read
spaCy's *English* parse; fed Spanish, the English tagger calls "que", "para" and "los" nouns and
NMF builds a "topic" of Spanish function words. A text counts as English when its English
function words (spaCy's English stop words, from the parse) outnumber its function words of
other languages plus its words in a non-Latin script.

Why a short curated list and not spaCy's stop lists of other languages: those lists contain
English words ("sea", "era", "like", "door", "want", "will", "man") that would make ordinary
English texts look foreign, and importing them costs a spaCy import on a warm (cached) run. The
list below holds the most frequent function words of six languages common in trait corpora,
minus every word that is also English or an English abbreviation ("ai", "per", "non", "van",
"met", "hay", "yo", "dove"...). `tests/test_diversity_language.py` checks it against spaCy's
English stop list.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from traitlint.nlp.features import TextFeatures

_FUNCTION_WORDS = {
    "es": """que los las del por para una unos unas como pero más muy también porque cuando donde sobre entre hasta
             está están estoy estás estamos este esta estos estas ese esos esas eso esto ellos ellas nosotros usted
             ustedes tú él mí mis tus nuestro nuestra toda todos todas alguien nadie siempre nunca ahora aquí allí
             sí qué cómo cuál quién pues aunque mientras según el la en es un le se tiene tengo puede puedo quiero
             hacer fue ser estar había hemos mi tu te ni de aqui tambien""",
    "fr": """les des du une est et dans pour sur avec mais ou où qui quoi ce cette ces cet je il elle nous vous ils
             elles ses sa notre votre leur leurs au aux très bien aussi comme tous toute toutes rien été être avoir
             suis sommes sont ont avez avons fait peut faire était ça tes mes vos peux veux faut vais tres etre deja""",
    "de": """der das und ist nicht ein eine einen einem einer von zu auf für sich auch ich du wir ihr sie sind wird
             werden wurde haben bei nach aus wie noch nur oder aber wenn dass schon sehr mein meine dein sein ihre
             uns mir dir ihn ihm kann können muss durch über unter vom zum zur hier jetzt dann heute immer gibt
             mehr keine kein nichts""",
    "it": """il gli della delle degli dei nel nella nei sono che una uno questo questa quello quella anche più
             perché hai abbiamo hanno sei siamo mio tuo tua suo sua noi voi loro lei lui si da alla alle ai dal
             dalla sul sulla tutto tutti molto ancora già sempre mai cosa essere avere fatto stato ogni quando
             cui""",
    "pt": """não uma um os do da dos das nos por para que mais mas muito também ele ela eles elas você vocês nós
             seu sua meu minha isso isto esse essa este está estão estou são foi ser ter tem tenho ao aos pelo pela
             como quando onde porque já ainda sempre nunca aqui então tudo nada ou""",
    "nl": """het een van en dat niet zijn ik je te voor maar ook aan hij wij jij jullie haar mijn jouw uw dit deze
             wat wie waar kan zal heb heeft hebben werd worden bij nog naar uit geen niets veel wel toch omdat""",
}

#: Words dropped from the lists above because English uses them too (as words, names or abbreviations).
ENGLISH_COLLISIONS = frozenset("""
a e o y u me no he has era son sea sin con solo come dice die war man hat bin will was also so in am an on
pas plus tout mon ma ta ai ne ho mia io ci non per ed chi dove do na em com eu van met op als om ze hun hoe
dan nu zo er hay esa ella yo sus todo nada algo ya lo han nos al den im mi ha est
""".split())

FOREIGN_FUNCTION_WORDS = frozenset(w for words in _FUNCTION_WORDS.values() for w in words.split()) - ENGLISH_COLLISIONS


@lru_cache(maxsize=4096)
def is_latin(word: str) -> bool:
    """True when every letter of `word` is Latin script ("café" is, "今天" and "привет" are not)."""
    return all(unicodedata.name(ch, "").startswith("LATIN") for ch in word if ch.isalpha())


def function_word_counts(tf: TextFeatures) -> tuple[int, int]:
    """(English function words, foreign evidence) of one text.

    Foreign evidence counts function words of other languages and words written in a non-Latin
    script. Both counts look at alphabetic tokens only.
    """
    english = foreign = 0
    for word, stop in zip(tf.words, tf.is_stop):
        if not word.isalpha():
            continue
        lower = word.lower()
        if not is_latin(word) or lower in FOREIGN_FUNCTION_WORDS:
            foreign += 1
        elif stop:
            english += 1
    return english, foreign


def is_english(tf: TextFeatures) -> bool:
    """True when English function words outnumber the foreign evidence (see the module doc).

    A tie is not English: a mixed line ("She texted me: Hola, ¿cómo estás?") is as much Spanish as
    English, and its Spanish words would reach the topic model as English nouns. A text with
    neither ("ur order shipped") counts as English: nothing says otherwise.
    """
    english, foreign = function_word_counts(tf)
    return english > foreign or english == foreign == 0


def is_function_word(word: str) -> bool:
    """True for a function word of one of the listed non-English languages (English ones come from the parse)."""
    return word.lower() in FOREIGN_FUNCTION_WORDS


def english_share(texts: Sequence[TextFeatures]) -> float:
    """Share of `texts` that look English (0.0 for no texts)."""
    if not texts:
        return 0.0
    return sum(1 for tf in texts if is_english(tf)) / len(texts)
