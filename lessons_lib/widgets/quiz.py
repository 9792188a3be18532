"""The check of understanding in a lesson: each question with its input and a Check button.

    from lessons_lib.widgets import show_quiz
    show_quiz("07")

Each question shows its text (markdown, with math), its figure if it has one, radio
buttons (a choice) or a text box (a number), and a "Check" button that answers at once:
"correct", or the hint written for that mistake. The questions and the verdicts are
``lessons_lib.quiz``'s; this module only shows them.

Like the course's other widgets, the output is one bundle: the live view for JupyterLab
and, for whatever runs no widgets (nbval, nbconvert, a site build), a static picture of
the questions as markdown with their figures, never the answers. Nothing waits for input.
"""
import base64
import html
import io

import ipywidgets as W
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .. import quiz as Q

__all__ = ["QuizWidget", "show_quiz", "figure_png", "static_markdown"]

FIGSIZE = (9.0, 3.0)
DPI = 80
CORRECT_COLOR, WRONG_COLOR = "#1a7f37", "#a00000"


def figure_png(question):
    """The question's figure as PNG bytes (None if it has none)."""
    if question.figure is None:
        return None
    fig = Figure(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    question.figure(fig)
    buf = io.BytesIO()
    fig.canvas.print_png(buf, metadata={"Software": None})  # no version stamp: the same bytes every run
    return buf.getvalue()


def _image_markdown(question, png):
    data = base64.b64encode(png).decode("ascii")
    return f"![the figure of question {question.id}](data:image/png;base64,{data})"


def static_markdown(lesson, pngs=None):
    """The questions as markdown with their figures as embedded images, never the answers:
    what a notebook executed headless shows, and how to check answers without the widget."""
    nn = Q.lesson_id(lesson)
    questions = Q.load(nn)
    pngs = pngs if pngs is not None else {q.id: figure_png(q) for q in questions}
    parts = [Q.question_markdown(q, i, _image_markdown(q, pngs[q.id]) if pngs.get(q.id) else "")
             for i, q in enumerate(questions, 1)]
    example = ", ".join(f"{q.id}=..." for q in questions[:2])
    parts.append(f"*Check your answers with the buttons in JupyterLab, or in code: "
                 f"`from lessons_lib.quiz import check; check(\"{nn}\", {example})` "
                 f"(a choice by its number, a number as a number).*")
    return "\n\n".join(parts)


class QuizWidget:
    """A lesson's quiz with inputs and Check buttons (``show_quiz`` displays one).

    ``inputs``, ``buttons`` and ``feedback`` map question ids to the controls; ``results``
    holds the last verdict (a ``lessons_lib.quiz.QuestionResult``) of each checked question.
    """

    def __init__(self, lesson):
        self.lesson = Q.lesson_id(lesson)
        self.questions = Q.load(self.lesson)
        self.pngs = {q.id: figure_png(q) for q in self.questions}
        self.inputs, self.buttons, self.feedback, self.results = {}, {}, {}, {}
        self.ui = W.VBox([self._question_box(q, i) for i, q in enumerate(self.questions, 1)],
                         layout=W.Layout(width="100%"))

    def _question_box(self, q, number):
        plain_options = isinstance(q, Q.Choice) and not any("$" in o for o in q.options)
        text = W.Output(layout=W.Layout(width="100%"))
        shown = Q.question_markdown(q, number) if not plain_options else f"**{number}.** {q.text}"
        text.outputs = ({"output_type": "display_data", "data": {"text/markdown": shown}, "metadata": {}},)
        rows = [text]
        if self.pngs[q.id] is not None:
            rows.append(W.Image(value=self.pngs[q.id], format="png", layout=W.Layout(max_width="100%")))
        if isinstance(q, Q.Choice):
            labels = q.options if plain_options else [str(i) for i in range(len(q.options))]
            entry = W.RadioButtons(options=[(label, i) for i, label in enumerate(labels)], value=None,
                                   layout=W.Layout(width="auto"))
        else:
            entry = W.Text(placeholder="a number, e.g. 0.5 or 1/4", layout=W.Layout(width="220px"))
        button = W.Button(description="Check", tooltip=f"check question {number}", button_style="primary",
                          layout=W.Layout(width="90px"))
        feedback = W.HTMLMath(layout=W.Layout(width="100%"))
        button.on_click(lambda _button, q=q: self.check(q.id))
        self.inputs[q.id], self.buttons[q.id], self.feedback[q.id] = entry, button, feedback
        rows += [entry, W.HBox([button, feedback], layout=W.Layout(align_items="center"))]
        box = W.VBox(rows, layout=W.Layout(margin="0 0 14px 0", width="100%"))
        box.add_class(f"quiz-question-{q.id}")
        return box

    def check(self, qid):
        """What the Check button of question ``qid`` does: judge its input, show the verdict."""
        q = next(q for q in self.questions if q.id == qid)
        value = self.inputs[qid].value
        if value is None or (isinstance(value, str) and not value.strip()):
            self._say(qid, WRONG_COLOR, "Choose an option first." if isinstance(q, Q.Choice) else "Type a number first.")
            self.results[qid] = Q.QuestionResult(qid, Q.NOT_ANSWERED, Q.NOT_ANSWERED)
            return self.results[qid]
        try:
            ok, message = q.feedback(value)
        except ValueError as err:               # text that is not a number: say so, judge nothing
            reason = str(err).split(": ", 1)[-1]
            self._say(qid, WRONG_COLOR, reason[:1].upper() + reason[1:])
            return None
        self.results[qid] = Q.QuestionResult(qid, Q.CORRECT if ok else "wrong", message)
        self._say(qid, CORRECT_COLOR if ok else WRONG_COLOR, "✔ Correct." if ok else f"✘ {message}")
        return self.results[qid]

    def _say(self, qid, color, text):
        self.feedback[qid].value = f"<span style='color:{color}'>{html.escape(text, quote=False)}</span>"

    def static_markdown(self):
        return static_markdown(self.lesson, self.pngs)

    def __repr__(self):
        return f"QuizWidget(lesson={self.lesson!r}, {len(self.questions)} questions)"

    def _repr_mimebundle_(self, include=None, exclude=None):
        """The live view for JupyterLab, the static markdown for everything that runs no widgets."""
        data = dict(self.ui._repr_mimebundle_())
        data["text/markdown"] = self.static_markdown()
        data["text/plain"] = repr(self)
        return data


def show_quiz(lesson):
    """Show lesson ``lesson``'s check of understanding (e.g. ``show_quiz("07")``) in the notebook."""
    from IPython.display import display

    display(QuizWidget(lesson))
