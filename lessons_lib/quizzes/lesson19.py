"""Check of understanding for lesson 19 (modern practice)."""
from ..quiz import Choice, Number
from .. import optimizers, schedules

WARM_LR, WARM_STEPS, STEP = 0.1, 30, 12
_warm = schedules.Warmup(WARM_LR, steps=WARM_STEPS)
_adamw = optimizers.AdamW(lr=0.001, weight_decay=0.01)
DECAY_FACTOR = 1 - _adamw.lr * _adamw.weight_decay      # what AdamW multiplies every weight by, each step

QUESTIONS = (
    Number(
        "warmup_rate",
        f"`schedules.Warmup({WARM_LR}, steps={WARM_STEPS})`: what is the learning rate at step $t = {STEP}$ "
        "(steps count from 1)?",
        answer=_warm(STEP),
        hint="During the warm-up the rate grows linearly: lr * t / T.",
        wrong={WARM_LR: "That is the rate after the warm-up has ended.",
               WARM_LR * (STEP - 1) / WARM_STEPS: "The first step already has rate lr/T: count the steps from 1."},
    ),
    Choice(
        "amsgrad",
        "What is AMSGrad's one change to Adam?",
        options=("it divides by the running maximum of v instead of v",
                 "it adds weight decay to the gradient",
                 "it drops the bias correction"),
        answer=0,
        hints={1: "That is L2 regularisation, which any optimizer can use.",
               2: "AMSGrad keeps Adam's bias correction (as torch's amsgrad=True does); its change is in the "
                  "denominator."},
    ),
    Number(
        "adamw_factor",
        f"`optimizers.AdamW(lr={_adamw.lr}, weight_decay={_adamw.weight_decay})`: before Adam's step, every weight "
        "is multiplied by what factor?",
        answer=DECAY_FACTOR,
        rel_tol=1e-7,
        hint="The decoupled decay subtracts lr * weight_decay * theta from theta.",
        wrong={1 - _adamw.weight_decay: "The library (like torch) multiplies weight_decay by lr in the decay.",
               1.0: "AdamW shrinks every weight a little at every step, whatever its gradient."},
    ),
    Choice(
        "torch_adam",
        "What does `torch.optim.Adam(weight_decay=0.01)` do with the 0.01?",
        options=("adds 0.01 * theta to the gradient, which Adam then divides by sqrt(v_hat)",
                 "shrinks every weight by the same factor, apart from the gradient",
                 "lowers the learning rate by 1% every step"),
        answer=0,
        hints={1: "That is AdamW's decoupled decay; torch's Adam takes the older route.",
               2: "weight_decay acts on the weights, not on the learning rate."},
    ),
    Choice(
        "range_test",
        "A range test's smoothed loss is lowest at lr = 0.27 and falls fastest at lr = 0.085. Which rate would you "
        "start training with?",
        options=("about 0.09", "0.27", "10, the end of the range"),
        answer=0,
        hints={1: "At the lowest point the loss is about to blow up: the long run needs margin.",
               2: "By the end of the range the loss had shot up: that rate is far too high."},
    ),
    Choice(
        "reddi",
        "On Reddi et al.'s example (slopes 3, -1, -1 repeating, $\\beta_2 = 0.1$), where does Adam end on "
        "$[-1, 1]$?",
        options=("at +1, the worst point", "at -1, the best point", "in the middle, at 0"),
        answer=0,
        hints={1: "With beta2 = 0.1, v is almost the last g^2: every step has about the same length, so count "
                  "the steps up and down.",
               2: "The steps do not cancel: two of every three push the same way."},
    ),
)
