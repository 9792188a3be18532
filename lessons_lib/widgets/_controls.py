"""The controls the widgets share: slider and text-box layouts, colour toggles, HTML helpers."""
import ipywidgets as W
import traitlets


def slider_layout():
    """Sliders send every value while dragged (continuous_update): the widget coalesces them."""
    return dict(continuous_update=True, style={"description_width": "initial"},
                layout=W.Layout(width="340px"))


def text_layout(width="170px"):
    return dict(style={"description_width": "initial"}, layout=W.Layout(width=width))


class ColorToggles(W.HBox):
    """A multiple choice as a row of buttons, one per option, each in its option's colour.

        choice = ColorToggles(["GD", "Adam"], value=("GD",), colors={"GD": "#1f77b4", ...})
        choice.value                   # ("GD",): the chosen options, in the order of ``options``
        choice.value = ("GD", "Adam")  # from Python, like any control; observe(..., "value") works

    A chosen option's button is filled with its colour and marked with a tick (so the
    choice does not depend on telling colours apart); a click toggles it. The colour is
    the one its line has in the figure.
    """

    value = traitlets.Tuple()
    options = traitlets.Tuple()

    def __init__(self, options, value=(), colors=None, description="", **kwargs):
        colors = dict(colors or {})
        self._colors = {name: colors.get(name, "#555555") for name in options}
        self._buttons = {}
        for name in options:
            button = W.Button(description=name, tooltip=f"show {name}", layout=W.Layout(width="auto"))
            button.on_click(lambda _button, name=name: self._toggle(name))
            self._buttons[name] = button
        label = [W.HTML(f"{description}&nbsp;")] if description else []
        kwargs.setdefault("layout", W.Layout(flex_flow="row wrap", align_items="center"))
        super().__init__(children=[*label, *self._buttons.values()], **kwargs)
        self.options = tuple(options)
        self.value = tuple(value)
        self._restyle()
        self.observe(self._restyle, names="value")

    @traitlets.validate("value")
    def _valid_value(self, proposal):
        chosen = tuple(proposal["value"])
        unknown = [n for n in chosen if n not in self.options]
        if unknown:
            raise traitlets.TraitError(f"value must hold names from {list(self.options)}, got {unknown}")
        return tuple(n for n in self.options if n in chosen)

    def _toggle(self, name):
        """A click on a button (in the front end): marked as the front end's change, as
        ipywidgets marks a slider's, so that widgets treat it as a person's action."""
        chosen = set(self.value) ^ {name}
        value = tuple(n for n in self.options if n in chosen)
        with self._lock_property(value=value):
            self.value = value

    def _restyle(self, change=None):
        for name, button in self._buttons.items():
            on = name in self.value
            color = self._colors[name]
            button.description = ("✓ " if on else "") + name
            button.style.button_color = color if on else "#f2f2f2"
            button.style.text_color = "white" if on else color
            button.style.font_weight = "bold"

    def button(self, name):
        """The button of option ``name`` (for tests: ``button(name).click()`` is a click)."""
        return self._buttons[name]


def wrap(text, width):
    out, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join(out + [line])


def html(text):
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\n", "<br>"))
