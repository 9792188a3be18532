"""The optimizers' cheat sheet, generated from the library: ``python -m lessons_lib.cheat_sheet > docs/cheat_sheet.md``.

What the library knows is read from the classes: each rule is the pseudocode box of its
class's docstring, the notes on other conventions are the rest of that docstring, the
hyperparameters and their defaults come from the class's signature, the state from
``state_names``. What the library cannot know (the defaults of the paper, of torch.optim
and of Keras, and when to reach for each method) is data here, each with its source (torch's defaults were read with inspect.signature from
torch 2.13.0, Keras 3's from keras/src/optimizers).
tests/test_cheat_sheet.py regenerates the page and fails when docs/cheat_sheet.md differs.
"""
import inspect
import sys
from dataclasses import dataclass

from . import optimizers as O

__all__ = ["OPTIMIZERS", "ELSEWHERE", "WHEN_SHORT", "CONVENTIONS", "defaults_here", "rule_box", "notes", "render", "main"]

OPTIMIZERS = (*O.ALL_OPTIMIZERS, O.AdamW)
COMMAND = "python -m lessons_lib.cheat_sheet > docs/cheat_sheet.md"

TORCH = "https://pytorch.org/docs/stable/generated/torch.optim.{}.html"
KERAS = "https://keras.io/api/optimizers/{}/"
RUDER = "https://arxiv.org/abs/1609.04747"


@dataclass(frozen=True)
class Elsewhere:
    """Defaults the library cannot read from itself, each with its source, and when to use the method."""

    lesson: str          # the lesson notebook that teaches it
    paper: str
    paper_source: str
    torch: str
    keras: str
    when: str
    torch_name: str = ""
    keras_name: str = ""


ELSEWHERE = {
    "GD": Elsewhere(
        "01_gradients", "no defaults (Cauchy 1847; stochastic: Robbins & Monro 1951)", RUDER,
        "`SGD(lr=0.001)`", "`SGD(learning_rate=0.01)`",
        "Convex, well-conditioned problems, and as the baseline every other method is measured against; "
        "with a tuned schedule, SGD still trains many networks to the best test error.",
        torch_name="SGD", keras_name="sgd"),
    "Momentum": Elsewhere(
        "08_momentum", "gamma = 0.9 (Ruder 2016, 4.1; Polyak 1964 gives no value)", RUDER,
        "`SGD(lr=0.001, momentum=0)`: momentum must be set", "`SGD(learning_rate=0.01, momentum=0.0)`",
        "Ravines and ill-conditioned valleys (condition number kappa large): the velocity averages out "
        "the zig-zag; the default choice for SGD in practice.",
        torch_name="SGD", keras_name="sgd"),
    "Nesterov": Elsewhere(
        "09_nesterov", "gamma = 0.9 (Ruder 2016, 4.2; Sutskever et al. 2013 raise it up to 0.99-0.999)", RUDER,
        "`SGD(lr=0.001, momentum=0, nesterov=False)`: both must be set",
        "`SGD(learning_rate=0.01, momentum=0.0, nesterov=False)`",
        "Where momentum overshoots: the look-ahead gradient brakes before a u-turn. Costs nothing over "
        "momentum (one gradient per step), but its stable range of lr is smaller.",
        torch_name="SGD", keras_name="sgd"),
    "Adagrad": Elsewhere(
        "10_adagrad", "no default lr (Duchi et al. 2011); 0.01 is the usual choice (Ruder 2016, 4.3)",
        "https://jmlr.org/papers/v12/duchi11a.html",
        "`Adagrad(lr=0.01, eps=1e-10, initial_accumulator_value=0)`",
        "`Adagrad(learning_rate=0.001, epsilon=1e-07, initial_accumulator_value=0.1)`",
        "Sparse features (rare words, rare inputs): their weights keep large steps. Not for long "
        "non-convex training: the growing sum shrinks every rate towards zero.",
        torch_name="Adagrad", keras_name="adagrad"),
    "RMSProp": Elsewhere(
        "11_rmsprop_adadelta", "beta = 0.9, lr = 0.001 (Hinton, lecture 6e, as quoted by Ruder 2016, 4.5)", RUDER,
        "`RMSprop(lr=0.01, alpha=0.99, eps=1e-08)`", "`RMSprop(learning_rate=0.001, rho=0.9, epsilon=1e-07)`",
        "Non-stationary problems and recurrent networks: per-parameter rates that can grow back. "
        "Adam (RMSProp plus momentum) has mostly replaced it.",
        torch_name="RMSprop", keras_name="rmsprop"),
    "Adadelta": Elsewhere(
        "11_rmsprop_adadelta", "rho = 0.95, eps = 1e-6, no learning rate (Zeiler 2012)",
        "https://arxiv.org/abs/1212.5701",
        "`Adadelta(lr=1.0, rho=0.9, eps=1e-06)`", "`Adadelta(learning_rate=0.001, rho=0.95, epsilon=1e-07)`",
        "When no learning rate can be tuned: the ratio of RMS values sets the step's units. eps then "
        "acts as the rate at the start, so it is a hyperparameter after all.",
        torch_name="Adadelta", keras_name="adadelta"),
    "Adam": Elsewhere(
        "12_adam_adamax_nadam", "lr (alpha) = 0.001, beta1 = 0.9, beta2 = 0.999, eps = 1e-8 (Kingma & Ba 2015)",
        "https://arxiv.org/abs/1412.6980",
        "`Adam(lr=0.001, betas=(0.9, 0.999), eps=1e-08)`",
        "`Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07)`: epsilon is the paper's eps-hat",
        "The first thing to try on a new network: little tuning, robust to badly scaled gradients. "
        "With weight decay, use AdamW.",
        torch_name="Adam", keras_name="adam"),
    "Adamax": Elsewhere(
        "12_adam_adamax_nadam", "lr (alpha) = 0.002, beta1 = 0.9, beta2 = 0.999, no eps (Kingma & Ba 2015, 7.1)",
        "https://arxiv.org/abs/1412.6980",
        "`Adamax(lr=0.002, betas=(0.9, 0.999), eps=1e-08)`",
        "`Adamax(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07)`",
        "Where rare large gradients spoil Adam's RMS (embeddings, sparse updates): the decaying maximum "
        "bounds each step by lr.",
        torch_name="Adamax", keras_name="adamax"),
    "Nadam": Elsewhere(
        "12_adam_adamax_nadam", "a momentum schedule mu_t with decay 0.004, not a constant beta1 (Dozat 2016)",
        "http://cs229.stanford.edu/proj2015/054_report.pdf",
        "`NAdam(lr=0.002, betas=(0.9, 0.999), eps=1e-08, momentum_decay=0.004)`: Dozat's schedule",
        "`Nadam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07)`: mu_t = beta1 (1 - 0.5 * 0.96^t)",
        "Adam's use cases, when a look-ahead in the momentum helps (often slightly faster early on). "
        "Compare numbers only within one library: the three forms differ.",
        torch_name="NAdam", keras_name="nadam"),
    "AMSGrad": Elsewhere(
        "19_modern_practice", "as Adam's; the paper's experiments use beta1 = 0.9, beta2 in {0.99, 0.999} "
        "(Reddi et al. 2018)", "https://openreview.net/forum?id=ryQu7f-RZ",
        "`Adam(amsgrad=True)` (Adam's defaults)", "`Adam(amsgrad=True)` (Adam's defaults)",
        "When Adam fails to converge because a rare large gradient is forgotten too fast (the paper's "
        "counterexample); in practice rarely better than Adam.",
        torch_name="Adam", keras_name="adam"),
    "AdamW": Elsewhere(
        "19_modern_practice", "weight decay lambda tuned per problem, applied with a schedule multiplier "
        "(Loshchilov & Hutter 2019)", "https://arxiv.org/abs/1711.05101",
        "`AdamW(lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.01)`",
        "`AdamW(learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-07)`",
        "Adam with regularization: every weight decays by the same factor, whatever its gradient "
        "(L2 inside Adam decays weights with large gradients less). The usual choice for large networks.",
        torch_name="AdamW", keras_name="adamw"),
}

# The "when" column of the summary table: a few words each.
WHEN_SHORT = {
    "GD": "a baseline; convex, well-conditioned problems",
    "Momentum": "ravines, ill-conditioned valleys",
    "Nesterov": "where momentum overshoots",
    "Adagrad": "sparse features",
    "RMSProp": "non-stationary problems, RNNs",
    "Adadelta": "no learning rate to tune",
    "Adam": "the first thing to try",
    "Adamax": "rare large gradients",
    "Nadam": "Adam with a look-ahead",
    "AMSGrad": "when Adam does not converge",
    "AdamW": "Adam with weight decay",
}

# Where the conventions differ: each line names the classes whose docstrings say more.
CONVENTIONS = (
    ("eps placement", ("Adagrad", "RMSProp", "Adam", "Adamax"),
     "The course puts eps under the root for Adagrad and RMSProp, `sqrt(G + eps)` (as the lecture "
     "and Keras 3); torch puts it outside, `sqrt(G) + eps`. Adam's eps is outside in the course and "
     "torch; Keras's epsilon is the paper's eps-hat, which amounts to an eps that shrinks with t. "
     "Adamax: eps inside the max (course, torch), added to the denominator (Keras), absent (paper)."),
    ("velocity scale", ("Momentum",),
     "The course's velocity contains the rate, `v <- gamma*v + lr*g; theta <- theta - v`; torch keeps "
     "`b = v/lr` (the same path while lr is constant, not when a schedule changes lr); Goodfellow and "
     "Keras write `v <- alpha*v - lr*g; theta <- theta + v` (v negated)."),
    ("look-ahead form", ("Nesterov",),
     "The course takes the gradient at `theta - gamma*v`; torch and Keras store the look-ahead point "
     "itself and update it: different iterates, the same method."),
    ("Nadam's schedule", ("Nadam",),
     "The course's Nadam is Ruder's form with a constant beta1; Dozat's paper, torch.optim.NAdam and "
     "Keras use a schedule of momentum coefficients mu_t (torch: `beta1 (1 - 0.5 * 0.96^(0.004 t))`, "
     "Keras: `beta1 (1 - 0.5 * 0.96^t)`), so none of the three computes the others' numbers."),
)


def defaults_here(cls):
    """{hyperparameter: default or None (required)} read from the class's signature, in repr's order."""
    params = inspect.signature(cls.__init__).parameters
    out = {}
    for name in cls.hyperparameters:
        default = params[name].default
        out[name] = None if default is inspect.Parameter.empty else default
    return out


def _doc_paragraphs(cls):
    doc = inspect.getdoc(cls)
    return doc.split("\n\n")


def rule_box(cls):
    """The pseudocode box of the class's docstring (its first indented paragraph), dedented."""
    for paragraph in _doc_paragraphs(cls)[1:]:
        lines = paragraph.split("\n")
        if all(line.startswith("    ") for line in lines):
            return "\n".join(line[4:] for line in lines)
    raise ValueError(f"{cls.__name__}'s docstring has no indented pseudocode box")


def notes(cls):
    """The docstring's paragraphs after the box (references, other conventions), each on one line."""
    paragraphs = _doc_paragraphs(cls)
    box = next(i for i, p in enumerate(paragraphs) if i and p.startswith("    "))
    return [" ".join(p.split()) for p in paragraphs[box + 1:]]


def summary(cls):
    return _doc_paragraphs(cls)[0].strip()


def _fmt(value):
    return "required" if value is None else repr(value)


def _defaults_text(cls):
    return ", ".join(f"`{name}={_fmt(v)}`" if v is not None else f"`{name}` (required)"
                     for name, v in defaults_here(cls).items())


def _state_text(cls):
    if not cls.state_names:
        return "none", 0
    return ", ".join(f"`{s}`" for s in cls.state_names), len(cls.state_names)


def _lesson_link(stem):
    return f"[lesson {stem[:2]}](../notebooks/{stem}.ipynb)"


def render():
    """The whole page as markdown."""
    out = [
        "# Cheat sheet: the course's optimizers",
        "",
        f"<!-- generated by `{COMMAND}`: do not edit by hand -->",
        "",
        "Every optimizer in `lessons_lib.optimizers`, on one page: its rule, its state, its defaults "
        "here and in the paper, torch.optim and Keras 3, where the conventions differ, and when to reach "
        "for it. The rules, notes, defaults and state are read from the library itself (`Adam?` in "
        "Jupyter shows the same text); the other libraries' defaults are data in "
        "`lessons_lib/cheat_sheet.py`, each with its source. Symbols as in the course: `lr` the learning "
        "rate, `t` the step (1 on the first), `g` the gradient; all operations are per coordinate.",
        "",
        "## At a glance",
        "",
        "| optimizer | hyperparameters (defaults here) | state per parameter | floats per parameter | when |",
        "| --- | --- | --- | --- | --- |",
    ]
    for cls in OPTIMIZERS:
        name = cls.__name__
        state, count = _state_text(cls)
        out.append(f"| [{name}](#{name.lower()}) | {_defaults_text(cls)} | {state} | {count} | "
                   f"{WHEN_SHORT[name]} |")
    out += ["", "Memory: besides theta and its gradient, each state array holds one float64 per parameter; "
            "`t` is one integer for the whole model.", "", "## Where the conventions differ", ""]
    for title, names, text in CONVENTIONS:
        links = ", ".join(f"[{n}](#{n.lower()})" for n in names)
        out.append(f"- **{title}** ({links}): {text}")
    for cls in OPTIMIZERS:
        name = cls.__name__
        data = ELSEWHERE[name]
        state, count = _state_text(cls)
        out += ["", f"## {name}", "", f"{summary(cls)} Taught in {_lesson_link(data.lesson)}.", "",
                "```text", rule_box(cls), "```", "",
                f"**State:** {state} ({count} float{'s' if count != 1 else ''} per parameter), and `t`.", "",
                "| defaults | |", "| --- | --- |",
                f"| here: `{name}(...)` | {_defaults_text(cls)} |",
                f"| the paper | {data.paper} ([source]({data.paper_source})) |",
                f"| torch.optim 2.13 | {data.torch} ([source]({TORCH.format(data.torch_name)})) |",
                f"| Keras 3 | {data.keras} ([source]({KERAS.format(data.keras_name)})) |",
                "", f"**When to reach for it:** {data.when}", ""]
        out += [f"> {paragraph}" if i == 0 else f">\n> {paragraph}" for i, paragraph in enumerate(notes(cls))]
    return "\n".join(out) + "\n"


def main(argv=None):
    sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
