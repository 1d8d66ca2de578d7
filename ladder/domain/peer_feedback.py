"""Rules of peer feedback: what may be asked of whom, what an answer must hold, and how the
answers are shown to the engineer (by competency, with or without names)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .reviews import below_current_label
from .rubric import Competency, Rubric
from .statuses import BELOW_CURRENT


def applicable_competencies(rubric: Rubric, track_key: str, level_key: str) -> list[Competency]:
    """The competencies someone can be given feedback on: those of their track with an
    expectation at or above their level (the same ones they could be rated on)."""
    return [c for c in rubric.competencies
            if track_key in c.tracks and rubric.rating_levels(c, track_key, level_key)]


def rating_choices(rubric: Rubric, competency: Competency, track_key: str, level_key: str) -> list[tuple[str, str]]:
    """What a peer may answer as a rating: nothing, below current level (on a points ladder, no
    milestone yet), or a level (or milestone) of the ladder."""
    below = below_current_label(rubric, rubric.level(level_key).name)
    return ([("", "No rating"), (BELOW_CURRENT, below)]
            + [(level.key, level.name) for level in rubric.rating_levels(competency, track_key, level_key)])


@dataclass(frozen=True)
class RequestAsked:
    """A request set as the form sends it, with what is already asked in the cycle."""

    subject_id: int
    peer_ids: list[int]
    competency_keys: list[str]
    due_on: date | None
    already_asked: frozenset[int]  # peers asked before (in any state) for this subject and cycle
    still_counting: int  # requests of the subject in the cycle that are not declined
    active_ids: frozenset[int]


def request_problems(asked: RequestAsked, applicable: list[str], *, today: date, closes_on: date,
                     max_peers: int) -> dict[str, str]:
    """Messages per form field (peers, competencies, due_on) for a request set that cannot be made."""
    problems = {}
    peers = set(asked.peer_ids)
    if not peers:
        problems["peers"] = "Choose at least one colleague."
    elif asked.subject_id in peers:
        problems["peers"] = "Peer feedback comes from colleagues: leave out the person it is about."
    elif not peers <= asked.active_ids:
        problems["peers"] = "Choose colleagues from the list."
    elif peers & asked.already_asked:
        problems["peers"] = "Some of these colleagues were already asked in this cycle."
    elif len(peers) + asked.still_counting > max_peers:
        left = max(max_peers - asked.still_counting, 0)
        problems["peers"] = (f"Ask at most {max_peers} colleagues per cycle; "
                             f"{left} more can be asked.")
    if not asked.competency_keys:
        problems["competencies"] = "Choose at least one competency."
    elif not set(asked.competency_keys) <= set(applicable):
        problems["competencies"] = "Choose competencies that apply to this person."
    if asked.due_on is None:
        problems["due_on"] = "Give a due date."
    elif asked.due_on <= today:
        problems["due_on"] = "The due date must be in the future."
    elif asked.due_on > closes_on:
        problems["due_on"] = f"The due date must be on or before the cycle closes ({closes_on.strftime('%d %b %Y')})."
    return problems


@dataclass(frozen=True)
class Answer:
    """What a peer wrote about one competency (kept verbatim, even when invalid)."""

    text: str
    rating: str | None = None

    def as_data(self) -> dict:
        return {"text": self.text, "rating": self.rating}


def answers_from_data(data: dict) -> dict[str, Answer]:
    return {key: Answer(value.get("text", ""), value.get("rating") or None) for key, value in (data or {}).items()}


def answer_problems(answers: dict[str, Answer], allowed_ratings: dict[str, list[str]], *,
                    submitting: bool) -> dict[str, str]:
    """Messages per competency: a rating that is not offered (even in a draft), and on submit an
    empty answer."""
    problems = {}
    for key, allowed in allowed_ratings.items():
        answer = answers.get(key, Answer(""))
        if answer.rating and answer.rating not in allowed:
            problems[key] = "Choose one of the listed levels."
        elif submitting and not answer.text.strip():
            problems[key] = "Write your feedback on this competency before submitting."
    return problems


@dataclass(frozen=True)
class SharedAnswer:
    author: str | None  # None when the cycle hides names
    text: str
    rating: str | None


def answers_by_competency(answered: list[tuple[str, list[str], dict]], competency_order: list[str], *,
                          show_names: bool) -> list[tuple[str, list[SharedAnswer]]]:
    """Submitted answers (peer name, competencies asked, answers data) grouped by competency in
    ladder order. Without names, each competency's answers are sorted by their text, so their
    order says nothing about who wrote them."""
    grouped: dict[str, list[SharedAnswer]] = {}
    for author, keys, data in answered:
        answers = answers_from_data(data)
        for key in keys:
            if key in answers:
                grouped.setdefault(key, []).append(
                    SharedAnswer(author if show_names else None, answers[key].text, answers[key].rating))
    order = {key: i for i, key in enumerate(competency_order)}
    result = []
    for key in sorted(grouped, key=lambda k: order.get(k, len(order))):
        items = grouped[key] if show_names else sorted(grouped[key], key=lambda a: (a.text, a.rating or ""))
        result.append((key, items))
    return result
