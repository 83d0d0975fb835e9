"""The assistant's logic, without Qt: applying model output to the scoring document, the
review queue's ranking, learning from the scorer's corrections, live agreement.

The GUI worker runs the model (engine.inference) in a thread and hands each result batch
to these functions in the main thread."""

from engine.assistant.apply import EVENT_CHANNEL, apply_batch, event_channels
from engine.assistant.learning import (
    RefitResult,
    apply_refit,
    n_corrections,
    refit_from_reviews,
    training_labels,
)
from engine.assistant.review import ReviewState, live_agreement, review_priority, reviewed_mask

__all__ = ["EVENT_CHANNEL", "RefitResult", "ReviewState", "apply_batch", "apply_refit", "event_channels",
           "live_agreement", "n_corrections", "refit_from_reviews", "review_priority", "reviewed_mask",
           "training_labels"]
