"""The intent classifier: TF-IDF over words and characters, multinomial logistic regression,
and a temperature fitted on held-out folds so that confidence means what it says.

Trained on our own utterances (`corpus`); a trained model is cached on disk, keyed by the
training data and the library version, so a restart loads it instead of training again.
"""

from __future__ import annotations

import logging
import math
import os
import pickle
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omnichannel.agent.understanding import corpus
from omnichannel.agent.understanding.normalize import for_classifier

log = logging.getLogger(__name__)

# Bump when features or training change in a way the data fingerprint cannot see.
MODEL_VERSION = "6"
FOLDS = 4


@dataclass(frozen=True, slots=True)
class Prediction:
    intent: str
    confidence: float
    # The next best intents with their confidence, best first.
    alternatives: tuple[tuple[str, float], ...] = ()

    def score(self, intent: str) -> float:
        if intent == self.intent:
            return self.confidence
        return next((p for i, p in self.alternatives if i == intent), 0.0)


def _pipeline() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.svm import LinearSVC

    features = FeatureUnion([
        ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1,
                                  token_pattern=r"(?u)\b\w+\b|'\w+")),
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                                  min_df=2, max_features=120_000)),
    ])
    # A linear SVM trains 30 times faster than logistic regression here with the same
    # held-out accuracy; its margins become probabilities through the fitted temperature.
    return Pipeline([("features", features), ("model", LinearSVC(C=0.5))])


def _softmax(scores: Any, temperature: float) -> Any:
    import numpy as np

    z = np.asarray(scores, dtype=float) / temperature
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _fit_temperature(scores: Any, labels: Sequence[int]) -> float:
    """The temperature minimising the negative log-likelihood of held-out predictions."""
    import numpy as np

    rows = np.arange(len(labels))
    best, best_nll = 1.0, math.inf
    for t in np.geomspace(0.01, 3.0, 80):
        probs = _softmax(scores, float(t))[rows, labels]
        nll = float(-np.log(np.maximum(probs, 1e-12)).sum())
        if nll < best_nll:
            best, best_nll = float(t), nll
    return best


class IntentModel:
    """A trained classifier for one language."""

    def __init__(self, lang: str, pipeline: Any, temperature: float,
                 heldout_accuracy: float, heldout_ece: float = float("nan"),
                 heldout: dict[str, tuple[tuple[float, bool], ...]] | None = None) -> None:
        self.lang = lang
        self.pipeline = pipeline
        self.temperature = temperature
        self.heldout_accuracy = heldout_accuracy
        # Expected calibration error on held-out folds: |confidence - accuracy|, weighted.
        self.heldout_ece = heldout_ece
        # Per predicted intent, its held-out predictions (confidence, right): routing trusts
        # the rules only where they are measured to be right.
        self.heldout = heldout or {}
        self.intents: tuple[str, ...] = tuple(str(c) for c in pipeline.classes_)

    def predict(self, text: str) -> Prediction:
        return self.predict_many([text])[0]

    def trusted_from(self, intent: str, precision: float, support: int = 20) -> float:
        """The lowest confidence from which held-out predictions of `intent` were right at
        least `precision` of the time (over at least `support` of them); above 1 if never."""
        points = self.heldout.get(intent, ())
        best, right = 1.01, 0
        for n, (conf, ok) in enumerate(points, 1):
            right += ok
            if n >= support and right / n >= precision:
                best = conf
        return best

    def predict_many(self, texts: Sequence[str]) -> list[Prediction]:
        scores = self.pipeline.decision_function([for_classifier(t) for t in texts])
        out = []
        for probs in _softmax(scores, self.temperature):
            ranked = sorted(zip(self.intents, probs.tolist(), strict=True), key=lambda p: -p[1])
            out.append(Prediction(ranked[0][0], round(ranked[0][1], 4),
                                  tuple((i, round(p, 4)) for i, p in ranked[1:5])))
        return out


def train(lang: str, examples: Sequence[corpus.Example]) -> IntentModel:
    """Fit on all examples; the temperature and the accuracy come from held-out folds."""
    from sklearn.model_selection import StratifiedKFold

    texts = [for_classifier(e.text) for e in examples]
    labels = [e.intent for e in examples]
    classes = sorted(set(labels))
    index = {c: i for i, c in enumerate(classes)}
    held_scores: list[list[float]] = []
    held_labels: list[int] = []
    right = 0
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=7)
    for train_idx, test_idx in folds.split(texts, labels):
        pipe = _pipeline().fit([texts[i] for i in train_idx], [labels[i] for i in train_idx])
        cols = [index[c] for c in pipe.classes_]
        for i, row in zip(test_idx, pipe.decision_function([texts[i] for i in test_idx]),
                          strict=True):
            full = [-10.0] * len(classes)
            for c, v in zip(cols, row, strict=True):
                full[c] = float(v)
            held_scores.append(full)
            held_labels.append(index[labels[i]])
            right += classes[max(range(len(full)), key=full.__getitem__)] == labels[i]
    temperature = _fit_temperature(held_scores, held_labels)
    pipeline = _pipeline().fit(texts, labels)
    return IntentModel(lang, pipeline, temperature, right / len(texts),
                       _ece(held_scores, held_labels, temperature),
                       _precision(held_scores, held_labels, temperature, classes))


def _precision(scores: Any, labels: Sequence[int], temperature: float,
               classes: Sequence[str]) -> dict[str, tuple[tuple[float, bool], ...]]:
    """Per predicted intent, its held-out predictions as (confidence, right), most confident
    first: what `trusted_from` reads."""
    import numpy as np

    probs = _softmax(scores, temperature)
    conf, guess = probs.max(axis=1), probs.argmax(axis=1)
    right = guess == np.asarray(labels)
    out: dict[str, list[tuple[float, bool]]] = {}
    for c, g, r in zip(conf.tolist(), guess.tolist(), right.tolist(), strict=True):
        out.setdefault(classes[g], []).append((round(c, 4), bool(r)))
    return {k: tuple(sorted(v, key=lambda p: -p[0])) for k, v in out.items()}


def _ece(scores: Any, labels: Sequence[int], temperature: float, bins: int = 10) -> float:
    import numpy as np

    probs = _softmax(scores, temperature)
    conf = probs.max(axis=1)
    right = probs.argmax(axis=1) == np.asarray(labels)
    total = 0.0
    for k in range(bins):
        inside = (conf > k / bins) & (conf <= (k + 1) / bins)
        if inside.any():
            total += inside.mean() * abs(float(conf[inside].mean()) - float(right[inside].mean()))
    return round(total, 4)


def _cache_dir() -> Path:
    if env := os.environ.get("OMNICHANNEL_CACHE_DIR"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "omnichannel"


def _cache_path(lang: str) -> Path:
    import sklearn

    key = f"{lang}-{corpus.fingerprint(lang)}-m{MODEL_VERSION}-sk{sklearn.__version__}"
    return _cache_dir() / f"intents-{key}.pickle"


def load(lang: str) -> IntentModel:
    """The language's model: from the cache when its key matches, else trained and cached."""
    path = _cache_path(lang)
    try:
        with path.open("rb") as fh:
            model = pickle.load(fh)
        if isinstance(model, IntentModel):
            return model
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        pass
    model = train(lang, corpus.load(lang))
    log.info("intent model trained", extra={"lang": lang,
                                            "heldout_accuracy": round(model.heldout_accuracy, 3)})
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
            pickle.dump(model, tmp)
        os.replace(tmp.name, path)
    except OSError:
        log.warning("cannot cache the intent model", extra={"path": str(path)})
    return model


class ModelShelf:
    """Models per language, loaded once per process in a background thread on first need."""

    def __init__(self) -> None:
        self._models: dict[str, IntentModel] = {}
        self._lock = threading.Lock()

    def warm(self, lang: str = "en") -> None:
        """Start loading in the background (the daemon calls this at start-up)."""
        threading.Thread(target=self.get, args=(lang,), name=f"intents-{lang}",
                         daemon=True).start()

    def loaded(self, lang: str = "en") -> bool:
        """The language's model is in memory (get() will not wait)."""
        return lang in self._models

    def get(self, lang: str = "en") -> IntentModel:
        model = self._models.get(lang)
        if model is not None:
            return model
        with self._lock:
            model = self._models.get(lang)
            if model is None:
                model = self._models[lang] = load(lang)
            return model


SHELF = ModelShelf()
