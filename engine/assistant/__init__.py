"""The assistant's logic, without Qt: applying model output to the scoring document, the
review queue's ranking, learning from the scorer's corrections, live agreement.

The GUI worker runs the model (engine.inference) in a thread and hands each result batch
to these functions in the main thread."""

from typing import TYPE_CHECKING

from engine.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from engine.assistant.apply import EVENT_CHANNEL, apply_batch, event_channels
    from engine.assistant.learning import (
        RefitResult,
        apply_refit,
        n_corrections,
        refit_from_reviews,
        training_labels,
    )
    from engine.assistant.review import ReviewState, live_agreement, review_priority, reviewed_mask

# each submodule loads on first use (the rules and the scoring comparisons behind
# apply/review are not needed to open a study)
_A, _L, _V = "engine.assistant.apply", "engine.assistant.learning", "engine.assistant.review"
__getattr__ = lazy_exports(globals(), {
    "EVENT_CHANNEL": _A, "apply_batch": _A, "event_channels": _A,
    "RefitResult": _L, "apply_refit": _L, "n_corrections": _L, "refit_from_reviews": _L, "training_labels": _L,
    "ReviewState": _V, "live_agreement": _V, "review_priority": _V, "reviewed_mask": _V,
})

__all__ = ["EVENT_CHANNEL", "RefitResult", "ReviewState", "apply_batch", "apply_refit", "event_channels",
           "live_agreement", "n_corrections", "refit_from_reviews", "review_priority", "reviewed_mask",
           "training_labels"]
