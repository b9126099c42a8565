"""The check-in scales a school can choose. Colour zones use neutral labels (the well-known
"Zones of Regulation" name is a trademark)."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Option:
    value: int
    label: str
    symbol: str       # a face, a number or a colour name, shown big on the button
    css: str          # a class for the button's colour
    low: bool         # prompts a discreet "check in with this pupil later"
    face: str = ""    # a drawn face (templates/_face.html) shown instead of the symbol: emoji fonts vary

    @property
    def symbol_in_label(self) -> bool:
        """The label already begins with the symbol ("1 - very low", "Blue - low, tired or sad")."""
        return self.label.startswith(self.symbol)

    @property
    def text(self) -> str:
        """The option on one line: "🙁 Not great", "1 - very low" (the symbol is not said twice)."""
        return self.label if self.symbol_in_label else f"{self.symbol} {self.label}"


@dataclass(frozen=True)
class Scale:
    key: str
    name: str
    question: str
    options: tuple[Option, ...]

    def option(self, value: int) -> Option:
        for option in self.options:
            if option.value == value:
                return option
        raise KeyError(value)


SCALES: dict[str, Scale] = {
    "faces": Scale("faces", "Five faces", "How are you feeling?", (
        Option(1, "Awful", "😢", "face-1", True, "awful"),
        Option(2, "Not great", "🙁", "face-2", True, "not_great"),
        Option(3, "OK", "😐", "face-3", False, "ok"),
        Option(4, "Good", "🙂", "face-4", False, "good"),
        Option(5, "Great", "😄", "face-5", False, "great"),
    )),
    "numbers": Scale("numbers", "1 to 5", "How are you, from 1 (low) to 5 (great)?", (
        Option(1, "1 - very low", "1", "num-1", True),
        Option(2, "2 - low", "2", "num-2", True),
        Option(3, "3 - OK", "3", "num-3", False),
        Option(4, "4 - good", "4", "num-4", False),
        Option(5, "5 - great", "5", "num-5", False),
    )),
    "zones": Scale("zones", "Four colours", "Which colour are you right now?", (
        Option(1, "Blue - low, tired or sad", "Blue", "zone-blue", True),
        Option(2, "Green - calm and ready", "Green", "zone-green", False),
        Option(3, "Yellow - wobbly, worried or excited", "Yellow", "zone-yellow", False),
        Option(4, "Red - very upset or out of control", "Red", "zone-red", True),
    )),
}
DEFAULT_SCALE = "faces"
