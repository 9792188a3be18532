"""Interactive widgets for the lessons: controls that re-run the library and redraw.

Each widget is an object with ipywidgets controls as attributes and its computed
state next to them::

    w = LearningRateExplorer(dim=2, kappa=10)
    w                        # as the last line of a cell: the controls, then the picture
    w.lr.value = 0.3         # set a control from Python: the widget recomputes at once
    w.history, w.regime      # the state the picture shows, for tests and for the text

While a student drags a slider the picture follows the hand: the kernel computes the
newest value only (values that arrive meanwhile are dropped, never queued) and
redraws only what moves. A notebook executed headless (nbval, nbconvert, the grader)
keeps a PNG of each widget's figure in its output, and nothing ever waits for input.
A control set to a value the library refuses (lr <= 0 typed into a box, kappa < 1,
...) does not raise: the widget shows the library's message, in the controls and on
the figure (``w.error``), and keeps its last good state.

``show_quiz("07")`` shows a lesson's check of understanding (``quiz``): its questions,
inputs and Check buttons; headless, the questions as markdown with their figures.

One module per widget; the machinery they share sits in ``_base`` (the update loop,
showing the widget), ``_updater`` (the worker thread that coalesces a drag),
``_render`` (cached background and blitting) and ``_controls``.
"""
from ._base import OPTIMIZER_COLORS, OPTIMIZERS, REGIME_COLORS
from .batch_size import BatchSizeExplorer
from .learning_rate import LearningRateExplorer, gd_regime
from .momentum import MomentumRateExplorer, _tail_rate, momentum_spectral_radius
from .quiz import QuizWidget, show_quiz
from .playground import SURFACE_CHOICES, OptimizerPlayground, default_hyperparameters, suggested_lr

__all__ = ["LearningRateExplorer", "BatchSizeExplorer", "OptimizerPlayground", "MomentumRateExplorer",
           "gd_regime", "suggested_lr", "default_hyperparameters", "momentum_spectral_radius",
           "SURFACE_CHOICES", "OPTIMIZERS", "show_quiz", "QuizWidget"]
