# ruff: noqa: E501  (each text is one of core's descriptions, as it is written there)
"""The settings' descriptions (the tooltips of Preferences and of a conversation's settings),
for lupdate: chatapp.core declares them in English on its pydantic fields, and settings_fields
translates them where they are shown. tests/test_i18n.py checks that every field's is here."""

from __future__ import annotations

from chatapp.ui.i18n import QT_TRANSLATE_NOOP

DESCRIPTIONS = (
    QT_TRANSLATE_NOOP(
        "Settings",
        "How many tokens of the conversation the model can see at once; 0 uses the model's own length, at most 8192.",
    ),
    QT_TRANSLATE_NOOP(
        "Settings",
        "How many of the model's layers run on the GPU (-1 all, 0 none). Automatic puts all layers on the GPU when this build can use one, else none.",
    ),
    QT_TRANSLATE_NOOP("Settings", "How many CPU threads generate; 0 lets llama.cpp choose."),
    QT_TRANSLATE_NOOP(
        "Settings",
        "How many prompt tokens are read in one step; larger is faster and uses more memory.",
    ),
    QT_TRANSLATE_NOOP(
        "Settings", "A faster attention kernel that needs less memory, where the hardware has it."
    ),
    QT_TRANSLATE_NOOP(
        "Settings", "The random seed the model is loaded with; -1 picks a fresh one."
    ),
    QT_TRANSLATE_NOOP(
        "Settings",
        "Speculative decoding that guesses the next tokens from text already in the conversation and checks them in one step: faster where the reply repeats long runs of its input (quotes) and the hardware checks a batch cheaply (GPUs), slower elsewhere; greedy replies change only by rounding.",
    ),
    QT_TRANSLATE_NOOP(
        "Settings",
        "How many tokens prompt lookup guesses ahead at most; each guess is checked in the same step as the next token.",
    ),
    QT_TRANSLATE_NOOP("Settings", "Higher is more varied, 0 always picks the likeliest token."),
    QT_TRANSLATE_NOOP(
        "Settings",
        "Sample only from the likeliest tokens that together reach this probability; 1 is off.",
    ),
    QT_TRANSLATE_NOOP("Settings", "Sample only from this many of the likeliest tokens; 0 is off."),
    QT_TRANSLATE_NOOP(
        "Settings", "Leave out tokens less likely than this share of the likeliest one; 0 is off."
    ),
    QT_TRANSLATE_NOOP("Settings", "Above 1 makes repeating recent text less likely; 1 is off."),
    QT_TRANSLATE_NOOP("Settings", "The longest a reply may be, in tokens."),
    QT_TRANSLATE_NOOP(
        "Settings",
        "The same seed and settings give the same reply; -1 picks a fresh random seed for each reply.",
    ),
    QT_TRANSLATE_NOOP("Settings", "The reply ends when it produces any of these."),
    QT_TRANSLATE_NOOP(
        "Settings", "What happens when the conversation no longer fits in the context length."
    ),
    QT_TRANSLATE_NOOP(
        "Settings",
        "Whether a reasoning model thinks before it answers, for templates with a thinking switch; unset follows the template's own default.",
    ),
    QT_TRANSLATE_NOOP(
        "Settings",
        "How long a reasoning model thinks (low, medium or high), for templates that take an effort; unset follows the template's own default.",
    ),
    QT_TRANSLATE_NOOP("Settings", "Given to the model at the start of every new conversation."),
    QT_TRANSLATE_NOOP("Settings", "The colour scheme; System follows the desktop."),
    QT_TRANSLATE_NOOP(
        "Settings",
        "The window's language; System follows this computer's. Applies at the next start.",
    ),
    QT_TRANSLATE_NOOP("Settings", "The size of the conversation's text, in points."),
    QT_TRANSLATE_NOOP(
        "Settings", "The embedding model that searches your documents (a GGUF file)."
    ),
    QT_TRANSLATE_NOOP(
        "Settings", "A Jinja chat template used instead of the model's own; checked when saved."
    ),
    QT_TRANSLATE_NOOP(
        "Settings",
        "Disk space for conversations' saved model state, so reopening one (even after a restart) evaluates only the new tokens; the least recently used go first. 0 turns it off.",
    ),
    QT_TRANSLATE_NOOP(
        "Settings", "How many passages of the conversation's documents go with each question."
    ),
    QT_TRANSLATE_NOOP(
        "Settings",
        "A passage found only by meaning (not by its words) is left out when its similarity to the question is below this (0 keeps every one).",
    ),
)
