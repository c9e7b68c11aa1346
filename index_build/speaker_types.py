"""The records speaker attribution passes around: a credited Speaker and a Mention found in a sentence."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Speaker:
    """A person or body credited with the words of a paragraph."""

    name: str
    role: str = ""
    organisation: str = ""

    def to_dict(self) -> dict:
        """Plain-dict form for JSON storage."""
        return {"name": self.name, "role": self.role, "organisation": self.organisation}

    @classmethod
    def from_dict(cls, d: dict) -> "Speaker":
        """Inverse of :meth:`to_dict`."""
        return cls(name=d["name"], role=d.get("role", ""), organisation=d.get("organisation", ""))


@dataclass
class _Mention:
    """One titled person, body or role found in a sentence."""

    name: str
    role: str = ""
    organisation: str = ""
    gender: str = ""
    kind: str = "person"  # "person", "body" (country, committee, representative) or "role"
    role_key: str = ""  # for kind == "role": the role word, e.g. "Chair"
    speaking: bool = True
    start: int = 0
    end: int = 0
    group: int = -1  # mentions read together ("Mme X ... et Mme Y ... ont dit") share a group id
    indefinite: bool = False  # "Une représentante ...", "A representative ...": never an earlier person
    plural: bool = False  # a group named by a plural noun ("Los eurodiputados"): "Ils"/"Ellos"/"They" go on with it
