"""`omnichannel autonomy`: how each category's drafts fared, and what to promote or demote.

Counted from decided drafts: approved unchanged, edited (with the edit distance), rejected,
refused at approval; for "off" categories in shadow mode, how close the private draft was
to what staff actually sent. A suggestion is printed with the config line to change: a
person applies it, nothing changes by itself.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from omnichannel.config import AutonomyConfig

# A shadow draft within this many characters of the staff reply counts as "would have done".
SHADOW_CLOSE = 40


@dataclass
class CategoryStats:
    category: str
    mode: str
    unchanged: int = 0
    edited: int = 0
    rejected: int = 0
    refused: int = 0
    shadow_close: int = 0
    shadow_far: int = 0
    outcomes: list[bool] = field(default_factory=list, repr=False)

    @property
    def decided(self) -> int:
        return self.unchanged + self.edited + self.rejected + self.refused

    @property
    def approval_rate(self) -> float:
        return self.unchanged / self.decided if self.decided else 0.0

    def recent_rate(self, n: int) -> float:
        last = self.outcomes[-n:]
        return sum(last) / len(last) if last else 0.0


def tally(rows: list[tuple[str, str, int, str]], config: AutonomyConfig) -> list[CategoryStats]:
    out: dict[str, CategoryStats] = {}
    for category, status, distance, _mode in rows:
        st = out.setdefault(category, CategoryStats(category, config.mode(category)))
        if status == "scored":
            if distance <= SHADOW_CLOSE:
                st.shadow_close += 1
            else:
                st.shadow_far += 1
            continue
        if status in ("sent", "approved", "edited"):
            if distance == 0:
                st.unchanged += 1
            else:
                st.edited += 1
            st.outcomes.append(distance == 0)
        elif status == "rejected":
            st.rejected += 1
            st.outcomes.append(False)
        elif status == "failed":
            st.refused += 1
            st.outcomes.append(False)
    return sorted(out.values(), key=lambda s: s.category)


def suggestions(stats: list[CategoryStats], config: AutonomyConfig) -> list[str]:
    out = []
    n = config.min_drafts
    for st in stats:
        if st.mode == "assisted" and st.decided >= n:
            if st.recent_rate(n) < config.demote_below:
                out.append(f"demote {st.category}: assisted -> off (last {n} drafts "
                           f"{st.recent_rate(n):.0%} approved unchanged, under "
                           f"{config.demote_below:.0%}); set "
                           f'[autonomy.categories] {st.category} = "off"')
            elif st.approval_rate >= config.promote_at:
                out.append(f"promote {st.category}: assisted -> autonomous ({st.decided} "
                           f"drafts, {st.approval_rate:.0%} approved unchanged, at least "
                           f"{config.promote_at:.0%}); set "
                           f'[autonomy.categories] {st.category} = "autonomous"')
        scored = st.shadow_close + st.shadow_far
        if st.mode == "off" and scored >= n and st.shadow_close / scored >= config.promote_at:
            out.append(f"promote {st.category}: off -> assisted ({scored} shadow drafts, "
                       f"{st.shadow_close / scored:.0%} close to what staff sent); set "
                       f'[autonomy.categories] {st.category} = "assisted"')
    return out


def render(stats: list[CategoryStats], advice: list[str], as_json: bool) -> str:
    if as_json:
        return json.dumps({"categories": [
            {k: v for k, v in asdict(s).items() if k != "outcomes"}
            | {"approval_rate": round(s.approval_rate, 3)} for s in stats],
            "suggestions": advice}, indent=2)
    lines = [f"{'category':<10} {'mode':<10} {'unchanged':>9} {'edited':>6} {'rejected':>8} "
             f"{'refused':>7} {'approval':>8} {'shadow':>9}"]
    for s in stats:
        shadow = f"{s.shadow_close}/{s.shadow_close + s.shadow_far}"
        lines.append(f"{s.category:<10} {s.mode:<10} {s.unchanged:>9} {s.edited:>6} "
                     f"{s.rejected:>8} {s.refused:>7} {s.approval_rate:>8.0%} {shadow:>9}")
    if not stats:
        lines.append("(no decided drafts yet)")
    lines.append("")
    lines += advice or ["no change suggested"]
    return "\n".join(lines)
