"""Check of understanding for lesson 13 (backpropagation)."""
import numpy as np

from .. import problems
from ..quiz import Choice, Number

_neuron = problems.SigmoidNeuron()
_grad_one = _neuron.grad(np.array([0.5, -1.0]), idx=np.array([1]))    # the lesson's example (x, y) = (2.5, 0.9)

QUESTIONS = (
    Choice(
        "why_add",
        "Every `_backward` of the `Value` class **adds** to the gradients of its inputs (`+=`). Why?",
        options=("a value used in several places collects the gradient of every use",
                 "adding is faster than assigning",
                 "gradients have to grow during training"),
        answer=0,
        hints={1: "Speed has nothing to do with it: think of the toy neuron's loss, where w feeds both examples.",
               2: "A gradient says which way the loss goes up here; nothing makes it grow. What happens to w, "
                  "which is used in two branches of the tree?"},
    ),
    Number(
        "w_over_b",
        "The neuron's loss on the example $(x, y) = (2.5, 0.9)$ at $(w, b) = (0.5, -1)$: the tree is "
        "$a = wx$, $z = a + b$, $f = \\sigma(z)$, ... What is the ratio "
        "$(\\partial L/\\partial w) \\,/\\, (\\partial L/\\partial b)$?",
        answer=float(_grad_one[0] / _grad_one[1]),
        hint="Both gradients pass through z; from z one more node leads to w. Which local derivative does "
             "that node, a = w x, contribute?",
        wrong={1.0: "z = a + b passes the same gradient to a and to b, but a = w x has a local derivative too.",
               0.4: "That is the inverse: the node a = w x multiplies the gradient arriving at a by its other "
                    "input."},
    ),
    Choice(
        "max_routes",
        "$J = \\max(z_1, z_2, z_3)$ with $z = (0.1, 1.8, -1.1)$. What is $\\partial J / \\partial z$?",
        options=("(0, 1, 0)", "(1, 1, 1)", "(1/3, 1/3, 1/3)", "(0.1, 1.8, -1.1)"),
        answer=0,
        hints={1: "Nudge z_1 a little: does J change at all?",
               2: "The max does not average its inputs: only one of them decides J.",
               3: "Those are the values of z, from the forward pass; the question asks how J changes when "
                  "each z_i moves."},
    ),
    Choice(
        "twice",
        "You call `L.backward()` a second time on the same tree, without setting the `grad`s to 0 first. "
        "What does `w.grad` hold then?",
        options=("the same as after the first call", "twice the gradient", "0"),
        answer=1,
        hints={0: "Each `_backward` adds to what is already there: look at `+=`.",
               2: "Nothing in `backward` clears a grad except `self.grad = 1.0` at the root."},
    ),
    Choice(
        "order",
        "In which order does `Value.backward` call the nodes' `_backward`?",
        options=("in the order the nodes were created",
                 "every node after all the nodes that use it (reverse topological order)",
                 "breadth-first from the root, level by level"),
        answer=1,
        hints={0: "That is the forward pass's order: the root would pass on its gradient last, after its inputs "
                  "had already passed on theirs.",
               2: "A node used at two depths would pass its gradient on before the deeper use had added to it."},
    ),
    Choice(
        "data_leaves",
        "After `L.backward()` on the neuron's tree, do the data leaves $x$ and $y$ have a non-zero `grad`?",
        options=("yes: the chain rule treats every leaf alike", "no: only the parameters get gradients"),
        answer=0,
        hints={1: "The backward pass does not know which leaves you call parameters: it follows every edge."},
    ),
)
