"""Answers that label things: {panel or point: one name from a fixed list} (diagnose, read a picture).

``wrong_labels`` checks the shape of such a dict with feedback that names what is off, and
returns the labels whose name differs from the key, in order: the checker then says, for the
first of them, what the name the student chose would look like (never the right name).
"""
from . import Feedback, require


def wrong_labels(answer, key, allowed, *, item, value):
    """The sorted labels of ``answer`` that differ from ``key`` ({label: name}); Feedback when
    ``answer`` is not a dict with exactly the labels of ``key`` and names from ``allowed``.
    ``item`` and ``value`` name them in the messages ("panel", "cause")."""
    labels = sorted(key)
    require(isinstance(answer, dict), f"give your answer as a dict {{{item}: {value}}}, e.g. "
                                      f"{{'{labels[0]}': '{sorted(allowed)[0]}', ...}}; got {type(answer).__name__}")
    missing = [k for k in labels if k not in answer]
    require(not missing, f"your dict has no {value} for {item}(s) {missing}: name one for each of {labels}")
    extra = sorted(str(k) for k in answer if k not in key)
    require(not extra, f"there is no {item} {extra} in the figure: the {item}s are {labels}")
    for label in labels:
        require(answer[label] in allowed, f"{item} {label}: {answer[label]!r} is not one of {sorted(allowed)}")
    return [k for k in labels if answer[k] != key[k]]


def check_labels(answer, key, looks, *, item, value, advice):
    """Feedback unless ``answer`` == ``key``: for the first wrong label, what the name the student
    chose would look like (``looks`` = {name: description}), then ``advice``."""
    wrong = wrong_labels(answer, key, looks, item=item, value=value)
    if wrong:
        k, name = wrong[0], answer[wrong[0]]
        more = f" ({len(wrong)} {item}s are wrong in all)" if len(wrong) > 1 else ""
        raise Feedback(f"{item} {k} is not {name!r}{more}: {looks[name]}, and {item} {k} does not look like "
                       f"that. {advice}")
