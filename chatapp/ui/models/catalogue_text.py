"""The model catalogue's words in the window's language: the recommended models' descriptions
(chatapp/data/recommended.json, English), their kinds, and the fit verdicts, which chatapp.core
writes in English. A description missing here shows in English (tests/test_i18n.py checks the
list against the JSON file)."""

from __future__ import annotations

from chatapp.core.models.fit import Fit, Verdict
from chatapp.core.models.hub import Recommended
from chatapp.ui.i18n import QT_TRANSLATE_NOOP, translate

ABOUT = (
    QT_TRANSLATE_NOOP("Catalogue", "Google's tiny model; quick answers on any machine."),
    QT_TRANSLATE_NOOP("Catalogue", "Meta's small model; a good everyday assistant on laptops."),
    QT_TRANSLATE_NOOP("Catalogue", "A strong all-rounder for its size; it answers at once."),
    QT_TRANSLATE_NOOP("Catalogue", "Google's compact model; writes well in many languages."),
    QT_TRANSLATE_NOOP("Catalogue", "Thinks before it answers; the thinking can be turned off."),
    QT_TRANSLATE_NOOP("Catalogue", "Writes, explains and fixes code; wants 8 GB or a GPU."),
    QT_TRANSLATE_NOOP("Catalogue", "Finds the passages of your documents that answer a question."),
)
KIND_LABELS = {
    "chat": QT_TRANSLATE_NOOP("Catalogue", "Chat"),
    "reasoning": QT_TRANSLATE_NOOP("Catalogue", "Reasoning"),
    "code": QT_TRANSLATE_NOOP("Catalogue", "Code"),
    "embedding": QT_TRANSLATE_NOOP("Catalogue", "For documents"),
}
KIND_TIPS = {
    "chat": QT_TRANSLATE_NOOP("Catalogue", "A chat model: answers at once"),
    "reasoning": QT_TRANSLATE_NOOP(
        "Catalogue", "A reasoning model: it thinks step by step before it answers"
    ),
    "code": QT_TRANSLATE_NOOP(
        "Catalogue", "A code model: tuned for writing, explaining and fixing code"
    ),
    "embedding": QT_TRANSLATE_NOOP(
        "Catalogue",
        "An embedding model, for searching your documents: it turns text into vectors and "
        "cannot chat",
    ),
}
VERDICTS = {
    Verdict.GPU: QT_TRANSLATE_NOOP("Catalogue", "fits on GPU"),
    Verdict.PARTIAL: QT_TRANSLATE_NOOP("Catalogue", "partly on GPU"),
    Verdict.CPU: QT_TRANSLATE_NOOP("Catalogue", "CPU only"),
    Verdict.TOO_LARGE: QT_TRANSLATE_NOOP("Catalogue", "too large"),
}


def about(model: Recommended) -> str:
    return translate("Catalogue", model.about)


def kind_label(model: Recommended) -> str:
    return translate("Catalogue", KIND_LABELS.get(model.kind, model.kind_label))


def kind_tip(model: Recommended) -> str:
    return translate("Catalogue", KIND_TIPS.get(model.kind, model.kind_tip))


def fit_label(fit: Fit) -> str:
    """``Fit.label`` in the window's language."""
    if fit.verdict == Verdict.PARTIAL:
        return translate("Catalogue", "partly on GPU ({layers} of {total} layers)").format(
            layers=fit.gpu_layers, total=fit.n_layer
        )
    return translate("Catalogue", VERDICTS[fit.verdict])
