"""Off-policy evaluation of ranking policies from the logged versions (IPS and SNIPS).

    python manage.py evaluate_policies [--policy NAME ...]

Every generated version logs the policy the bandit chose and that choice's propensity; the
reward is what its feedback earned (completions and likes up, early skips down). Each
candidate policy ("always use NAME") is estimated by inverse propensity scoring and its
self-normalized variant, next to the logged policy's own average reward.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandParser

from feedback.learning.bandit import POLICIES
from feedback.learning.offpolicy import estimate
from feedback.selectors import logged_decisions


class Command(BaseCommand):
    help = "Estimate the value of ranking policies from the logged versions (IPS, SNIPS)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--policy", action="append", choices=sorted(POLICIES), help="Default: all.")

    def handle(self, *args: Any, **options: Any) -> None:
        decisions = logged_decisions()
        if not decisions:
            self.stdout.write("No logged versions with feedback yet: nothing to evaluate.")
            return
        logged = float(np.mean([decision.reward for decision in decisions]))
        self.stdout.write(
            f"{len(decisions)} logged versions with feedback; logged policy's reward {logged:.3f}"
        )
        self.stdout.write(f"{'policy':<14} {'IPS':>7} {'SNIPS':>7} {'matched':>8} {'ESS':>7}")
        for name in options["policy"] or sorted(POLICIES):
            result = estimate(decisions, name)
            self.stdout.write(
                f"{name:<14} {result.ips:>7.3f} {result.snips:>7.3f} {result.matched:>8} "
                f"{result.effective_sample_size:>7.1f}"
            )
