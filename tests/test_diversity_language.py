"""Per-text language check (traitlint.language) and its use by the topic audit (TL301).

A language trait's folder is English on one side and Spanish on the other; the English tagger reads
Spanish function words as nouns, and before this check NMF reported "que, con, para" as a topic.
The sentences below are written for this test.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from traitlint.nlp import language, topics
from traitlint.nlp.features import FeatureStore
from traitlint.registry import get
from traitlint.runner import Session

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "diversity"))
import gen  # noqa: E402

LEADS = ["She texted her brother:", "The note taped to the door said:", "My neighbour called over the fence:",
         "The radio host announced:", "He wrote in the group chat:", "The postcard from my aunt read:",
         "Our coach shouted across the field:", "The voicemail from the landlord said:"]
BODIES = [
    ("Quiero saber si puedes venir con nosotros a la playa para", "I want to know if you can come with us to the beach to"),
    ("Los niños de la escuela tienen una fiesta que empieza a las", "The kids at the school have a party that starts at"),
    ("Necesito que me traigas una caja de tomates para la cena porque", "I need you to bring me a box of tomatoes for dinner because"),
    ("El tren para la ciudad sale con retraso y los pasajeros están", "The train to the city leaves late and the passengers are"),
    ("Mañana vamos al mercado con mi abuela para comprar las", "Tomorrow we go to the market with my grandmother to buy the"),
    ("Hay una reunión en la oficina que es muy importante para los", "There is a meeting at the office that is very important for the"),
    ("Por favor, llama al médico antes de que cierre la clínica porque", "Please call the doctor before the clinic closes because"),
    ("Las flores del jardín están secas y necesitan agua para", "The flowers in the garden are dry and need water to"),
    ("Este fin de semana jugamos al fútbol con los vecinos que", "This weekend we play football with the neighbours who"),
    ("Compré una bicicleta nueva para ir al trabajo cuando", "I bought a new bike to ride to work when"),
]


def spanish_english_pairs(n: int = 40) -> list[tuple[str, str]]:
    """Positive: an English lead-in, then Spanish; negative: the same lead-in, then English."""
    return [(f"{LEADS[i % len(LEADS)]} {BODIES[i % len(BODIES)][0]}", f"{LEADS[i % len(LEADS)]} {BODIES[i % len(BODIES)][1]}")
            for i in range(n)]


def test_is_english_per_text(store: FeatureStore):
    texts = store.parse([
        "The kids at the school have a party that starts at",
        "Los niños de la escuela tienen una fiesta que empieza a las",
        "She texted me: Hola, ¿cómo estás? Quiero saber si puedes",  # as Spanish as English: not English
        "Je suis très content de la maison parce que",
        "Ich habe das Buch nicht gelesen, aber ich weiß, dass es",
        "他说今天下午我们一起去",
        "ur order shipped",  # no function words either way: nothing says it is foreign
        "The café on the corner sells a mean crème brûlée, so",
    ])
    assert [language.is_english(t) for t in texts] == [True, False, False, False, False, False, True, True]


def test_foreign_function_words_are_not_english_stop_words():
    """A word on both lists would count against ordinary English texts."""
    from spacy.lang.en.stop_words import STOP_WORDS

    assert not language.FOREIGN_FUNCTION_WORDS & set(STOP_WORDS)
    assert not language.FOREIGN_FUNCTION_WORDS & language.ENGLISH_COLLISIONS


def test_content_nouns_drop_function_words_of_any_language(store: FeatureStore):
    tf = store.parse(["Que para los hospital nurses with una clínica and 医院 on Tuesday"])[0]
    nouns = topics.content_nouns(tf)
    assert not set(nouns) & language.FOREIGN_FUNCTION_WORDS
    assert "医院" not in nouns
    assert "hospital" in nouns


def test_tl301_does_not_model_spanish_side_as_english_topics(store: FeatureStore, tmp_path: Path):
    pairs = spanish_english_pairs(40)
    folder = gen.write_folder(tmp_path / "spanish", pairs)
    r = Session(store=store).run_audit(get("TL301"), folder)
    assert r.status in ("passed", "warned"), r.reason
    # Most Spanish lines are left out; a few mixed ones ("He wrote in the group chat: Mañana vamos al
    # mercado con mi abuela para comprar las") have as many English function words and stay in.
    assert r.metrics["non_english_texts"]["negative"] == 0
    assert r.metrics["non_english_texts"]["positive"] >= 36
    for row in r.metrics["topics"]:
        assert not set(row["top_words"]) & language.FOREIGN_FUNCTION_WORDS, row
    assert not any(set(f.metric.get("topic", "").split(", ")) & language.FOREIGN_FUNCTION_WORDS for f in r.findings)
    # the Spanish side has no topics at all: that is not evidence that topic predicts the label
    assert all(t["positive_only"] + t["negative_only"] <= 4 for t in r.metrics["by_class"])
    assert not any("predict" in f.message for f in r.findings)


@pytest.mark.parametrize("code", ["TL201", "TL202", "TL301"])
def test_all_spanish_folder_skips(store: FeatureStore, tmp_path: Path, code: str):
    pairs = [(b[0], b[0].replace("para", "con")) for b in BODIES] * 3
    r = Session(store=store).run_audit(get(code), gen.write_folder(tmp_path / code, pairs))
    assert r.status == "skipped" and "English" in r.reason
