"""Shrink a failing experiment to its smallest reproducer with the same
failure signature (campaigns/signature.py: outcome, first divergent event,
the site's function, as the report groups failures).

The search only proposes experiments; `run` (in the command: the campaign's
runner, a real machine per candidate) says what each gives. Three passes,
in this order, each keeping a candidate only if it fails with the very
signature of the original:

1. trigger  nth:K / times:K -> the smallest K found by binary search over
            1..K. A signature need not be monotone in K (nth:5 may fail
            alike while nth:4 is benign and nth:3 fails again), so the K
            found is one that was run and gave the signature, the smallest
            the halving saw, not a proven minimum. prob:P is left as it is
            (its seed is pinned instead, see below).
2. steps    the planned scenario written out as the line's own steps=
            (campaigns/steps.py), then each step dropped in turn, last to
            first, kept dropped if the signature stays (one pass: no single
            remaining step can go, not a global minimum). The step where
            the fault goes live is never dropped.
3. load     each counted step (workload requests, watch ticks) halved
            down by the same binary search over 0..N; a step whose count
            reached 0 is then offered for dropping once more.

Every candidate costs one run of the budget; a candidate already run is not
run again (an experiment is a pure function of its line). When the budget is
spent, the smallest reproducer found so far is the result and says so.

A probability trigger's seed is derived from the experiment's id (campaign
seed_for), and the id changes as the line shrinks: the candidates carry the
original's seed as seed=, so each draws the same numbers.
"""

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from . import scenario
from . import steps as stepsmod
from .signature import is_failure, signature
from .spec import Campaign, Experiment, Trigger

Signature = Tuple[str, str, str]


class OutOfBudget(Exception):
    """The budget of candidate runs is spent."""


def failing_signature(record: Mapping[str, Any]) -> Optional[Signature]:
    """The record's signature if it is a failure (survival.is_failure), else None."""
    return tuple(signature(record)) if is_failure(record) else None


def load_of(words) -> int:
    """Workload requests of a step list (kv:N, echo:N)."""
    return sum(stepsmod.count_of(w) or 0 for w in words if stepsmod.split(w)[0] in ("kv", "echo"))


@dataclass
class Search:
    """The candidates of one minimisation, run through `run` at most
    `budget` times, each judged against `target`."""
    run: Callable[[Experiment], Dict[str, Any]]
    target: Signature
    budget: int
    progress: Callable[[str], None] = print
    records: Dict[str, Dict[str, Any]] = field(default_factory=dict)   # id -> record
    log: List[Dict[str, Any]] = field(default_factory=list)
    runs: int = 0
    phase: str = ""

    best: Optional[Experiment] = None     # the last candidate that gave the signature

    def same(self, exp: Experiment) -> bool:
        """Whether exp fails with the target signature (running it unless
        it ran already). Every pass takes every such candidate (each is no
        larger than the one before), so the last is the best so far, and
        is what remains when the budget runs out mid-pass."""
        r = self.records.get(exp.id)
        if r is None:
            if self.runs >= self.budget:
                raise OutOfBudget(self.phase)
            self.runs += 1
            r = self.records[exp.id] = self.run(exp)
            sig = failing_signature(r)
            self.log.append({"phase": self.phase, "id": exp.id, "outcome": r.get("outcome"),
                             "signature": list(sig) if sig else None,
                             "same": sig == self.target})
            self.progress(f"  [{self.runs}/{self.budget}] {self.phase}: {exp.id}: "
                          f"{r.get('outcome')}, "
                          f"{'same signature' if sig == self.target else 'another'}")
        hit = failing_signature(r) == self.target
        if hit:
            self.best = exp
        return hit


def smallest(lo: int, hi: int, ok: Callable[[int], bool]) -> int:
    """The smallest n in lo..hi with ok(n) by halving, given ok(hi): the
    answer is always a value ok said yes to. Exact only where ok is
    monotone (no yes below a no)."""
    while lo < hi:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid + 1
    return hi


def with_steps(exp: Experiment, words: List[str]) -> Experiment:
    return replace(exp, steps=stepsmod.join(words))


def planned_words(exp: Experiment, campaign: Optional[Campaign]) -> List[str]:
    """The steps exp runs: its own, or the ones planned from its fault."""
    return scenario.plan(exp, campaign).own_steps


def shrink_trigger(s: Search, exp: Experiment) -> Experiment:
    t = exp.trigger
    if t.kind not in ("nth", "times") or int(t.value) <= 1:
        return exp
    s.phase = "trigger"
    k = smallest(1, int(t.value), lambda n: s.same(replace(exp, trigger=Trigger(t.kind, n))))
    return replace(exp, trigger=Trigger(t.kind, k))


def drop_steps(s: Search, exp: Experiment, words: List[str], only_zero=False) -> List[str]:
    s.phase = "steps"
    live = scenario.live_step(exp)
    keep = f"step:{live}" if live is not None else None
    i = len(words) - 1
    while i >= 0:
        w = words[i]
        if w != keep and (not only_zero or stepsmod.count_of(w) == 0):
            cand = words[:i] + words[i + 1:]
            if cand and s.same(with_steps(exp, cand)):
                words = cand
        i -= 1
    return words


def shrink_counts(s: Search, exp: Experiment, words: List[str]) -> List[str]:
    s.phase = "load"
    for i, w in enumerate(list(words)):
        n = stepsmod.count_of(w)
        if n is None or n == 0 or stepsmod.split(w)[0] == "step":
            continue

        def ok(m, i=i, w=w):
            return s.same(with_steps(exp, words[:i] + [stepsmod.with_count(w, m)] + words[i + 1:]))
        words = words[:i] + [stepsmod.with_count(w, smallest(0, n, ok))] + words[i + 1:]
    return words


class NotReproduced(Exception):
    """The original experiment does not fail, or not with the signature
    asked for; str() says what it gave."""


def minimize(exp: Experiment, campaign: Optional[Campaign], run,
             target: Optional[Signature] = None, budget: int = 60,
             progress=print) -> Dict[str, Any]:
    """The smallest reproducer of exp's failure that the passes find
    within `budget` runs. exp is run first (the first run of the budget):
    it must fail, with `target` when one is given (the signature a results
    file recorded), else NotReproduced. Returns {"exp" (the reproducer, an
    Experiment), "record" (its run), "original" (exp's run), "target",
    "runs", "exhausted" (the pass the budget ran out in, or None), "note",
    "candidates" (every run: phase, id, outcome, signature, same)}."""
    if exp.trigger.kind == "prob" and exp.seed is None and campaign is not None:
        exp = replace(exp, seed=campaign.seed_for(exp))
    first = run(exp)
    got = failing_signature(first)
    if got is None:
        raise NotReproduced(f"{exp.id} came out {first.get('outcome')}, not a failure "
                            f"({first.get('why')}): nothing to minimise")
    if target is not None and tuple(target) != got:
        raise NotReproduced(f"{exp.id} now fails with {' / '.join(got)}, not the "
                            f"{' / '.join(target)} asked for (another build?)")
    progress(f"  [1/{budget}] original: {exp.id}: {first.get('outcome')}, signature "
             f"{' / '.join(got)}")
    s = Search(run, got, budget, progress)
    s.records[exp.id] = first
    s.log.append({"phase": "original", "id": exp.id, "outcome": first.get("outcome"),
                  "signature": list(got), "same": True})
    s.runs, s.best = 1, exp
    best, exhausted, note = exp, None, None
    try:
        best = shrink_trigger(s, best)
        words = planned_words(best, campaign)
        s.phase = "steps"
        if not s.same(with_steps(best, words)):
            # the plan written out must be the same run; if it is not, the
            # steps cannot be shrunk through it
            raise RuntimeError(f"{best.id} with its planned steps written out as steps= "
                               f"fails otherwise: steps and load left as planned")
        best = with_steps(best, words)
        words = drop_steps(s, best, words)
        best = with_steps(best, words)
        before = list(words)
        words = shrink_counts(s, best, words)
        best = with_steps(best, words)
        if words != before:
            words = drop_steps(s, best, words, only_zero=True)
            best = with_steps(best, words)
    except OutOfBudget as e:
        exhausted = str(e)
        note = (f"budget of {budget} runs spent in the {exhausted} pass: the smallest "
                f"reproducer found by then")
    except RuntimeError as e:
        note = str(e)
    if note:
        progress(f"  {note}")
    best = s.best
    return {"exp": best, "record": s.records[best.id], "original": first, "target": got,
            "runs": s.runs, "exhausted": exhausted, "note": note, "candidates": s.log}
