"""Drive simulated listeners against the real services so a curator can run an A/A or an A/B
experiment end to end and read its results in the panel.

    manage.py simulate_experiment --create ab --listeners 80 --playlists 2
    manage.py simulate_experiment --experiment "my test" --listeners 80 --effect 0.05
    manage.py simulate_experiment --cleanup

Each simulated listener is a real (consenting) account with a synthetic taste: target values of
energy, valence, danceability and acousticness. Its playlists are created with
``playlist_create`` and generated synchronously by the generation service (Celery in eager mode
for this process only); it "listens" to every track, skipping more often the further the track
is from its taste. Outcomes go to the simulated-outcome table (``SimulatedOutcome``).
``--effect`` lowers the skip probability of every non-control variant by that much: a known
injected effect to check the analysis finds it (0 by default: only the engine configurations
differ).
"""

from __future__ import annotations

import secrets
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.urls import reverse

from accounts.models import ConsentPurpose, Role, User
from accounts.pseudonyms import pseudonym_for
from accounts.services import consent_record_choices, user_create
from catalog.models import Track
from config.celery import app as celery_app
from config.errors import ApplicationError
from config.request_id import request_id_new, request_id_var
from editorial.experiments import services
from editorial.experiments.models import Assignment, Experiment, ExperimentStatus, VersionAssignment
from editorial.experiments.stats import assignment as assignment_math
from playlists.models import PlaylistVersion, VersionStatus
from playlists.services import playlist_create, playlist_version_build

SIM_DOMAIN = "simulated.segue.invalid"
TASTE_FEATURES = ("energy", "valence", "danceability", "acousticness")
PROMPTS = (
    "relaxing evening jazz",
    "upbeat songs for a morning run",
    "chill acoustic covers for studying",
    "90s hip hop classics",
    "happy pop for a summer road trip",
    "dark moody electronic music",
    "songs to dance to at a party",
    "calm piano for sleeping",
)
PRESETS: dict[str, list[dict[str, Any]]] = {
    "aa": [{"name": "A", "traffic": 50}, {"name": "A'", "traffic": 50}],
    "ab": [
        {"name": "A (control)", "traffic": 50},
        {
            "name": "B (taste-heavy, less popularity)",
            "traffic": 50,
            "weights": {"taste": 2.0, "popularity": 0.0},
        },
    ],
}
BASE_SKIP = 0.25
SKIP_PER_DISTANCE = 0.9


class Command(BaseCommand):
    help = "Simulated listeners generate playlists and react to them, inside a running experiment."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--experiment", help="Name or id of a running experiment.")
        parser.add_argument(
            "--create", choices=sorted(PRESETS), help="Create and start an A/A or A/B experiment."
        )
        parser.add_argument("--horizon", type=int, default=60, help="Horizon of a created experiment.")
        parser.add_argument("--listeners", type=int, default=40)
        parser.add_argument("--playlists", type=int, default=2, help="Playlists per listener.")
        parser.add_argument("--size", type=int, default=15, help="Tracks per playlist.")
        parser.add_argument(
            "--effect", type=float, default=0.0, help="Skip probability taken off non-control variants."
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--cleanup", action="store_true", help="Delete every simulated listener and stop."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["cleanup"]:
            deleted, _ = User.objects.filter(email__endswith=f"@{SIM_DOMAIN}").delete()
            self.stdout.write(f"Deleted simulated listeners and their data ({deleted} rows).")
            return
        if not 0 <= options["effect"] < 1:
            raise CommandError("--effect is a probability between 0 and 1.")
        if not Track.objects.filter(embedding__isnull=False).exists():
            raise CommandError("The catalog has no embedded tracks; import and embed a catalog first.")
        experiment = self._experiment(options)
        rng = np.random.default_rng(options["seed"])
        control_id = experiment.variants.order_by("position").values_list("pk", flat=True).first()
        eager_before = celery_app.conf.task_always_eager
        celery_app.conf.task_always_eager = True  # generate in this process, synchronously
        try:
            for number in range(options["listeners"]):
                listener = self._listener(experiment, number)
                taste = rng.uniform(0.1, 0.9, size=len(TASTE_FEATURES))
                for _ in range(options["playlists"]):
                    prompt = PROMPTS[int(rng.integers(len(PROMPTS)))]
                    # One request id per simulated request, as the web would give: it follows the
                    # generation into the (eager) task's log lines.
                    token = request_id_var.set(f"sim-{experiment.pk}-{request_id_new()[:12]}")
                    try:
                        playlist = playlist_create(owner=listener, prompt=prompt, size=options["size"])
                    except ApplicationError as error:
                        raise CommandError(error.message) from error
                    finally:
                        request_id_var.reset(token)
                    version = playlist.versions.get()
                    if version.status == VersionStatus.QUEUED:  # on-commit enqueue deferred (e.g. in a test)
                        playlist_version_build(version_id=version.pk)
                    version.refresh_from_db()
                    if version.status != VersionStatus.READY:
                        self.stderr.write(f"Version {version.pk} did not generate: {version.error}")
                        continue
                    self._listen(version, taste, rng, options["effect"], control_id)
        finally:
            celery_app.conf.task_always_eager = eager_before
        self._summary(experiment)

    def _experiment(self, options: dict[str, Any]) -> Experiment:
        if options["create"]:
            name = f"Simulated {options['create'].upper()} #{Experiment.objects.count() + 1}"
            running = Experiment.objects.filter(status=ExperimentStatus.RUNNING).first()
            if running is not None:
                raise CommandError(f"“{running.name}” is running; stop it first.")
            try:
                experiment = services.experiment_create(
                    name=name,
                    variants=PRESETS[options["create"]],
                    created_by=None,
                    description="Created by simulate_experiment.",
                    horizon=options["horizon"],
                )
                self._salt_balance(experiment, listeners=options["listeners"], seed=options["seed"])
                return services.experiment_start(experiment=experiment)
            except ApplicationError as error:
                raise CommandError(error.message) from error
        key = options["experiment"]
        if not key:
            raise CommandError("Name an experiment (--experiment) or create one (--create aa|ab).")
        experiment_or_none = (
            Experiment.objects.filter(pk=int(key)).first()
            if str(key).isdigit()
            else Experiment.objects.filter(name=key).first()
        )
        if experiment_or_none is None:
            raise CommandError(f"No experiment “{key}”.")
        if experiment_or_none.status != ExperimentStatus.RUNNING:
            raise CommandError(f"“{experiment_or_none.name}” is not running; start it in the panel first.")
        return experiment_or_none

    def _salt_balance(self, experiment: Experiment, *, listeners: int, seed: int) -> None:
        """Pick the experiment's salt so its few simulated listeners fill every arm.

        A random salt can put all of a dozen listeners in one arm, which would leave the run (and
        a test built on it) to chance. The candidates follow ``--seed``, so a seeded run repeats.
        """
        if listeners < 2:
            return
        pseudonyms = [pseudonym_for(self._listener(experiment, number)) for number in range(listeners)]
        variants = experiment.variants.order_by("position")
        splits = [(variant.name, float(variant.traffic)) for variant in variants]
        candidates = (f"sim-{seed}-{experiment.pk}-{attempt:04d}" for attempt in range(500))
        salt = assignment_math.balanced_salt(pseudonyms, splits, candidates)
        services.experiment_salt_set(experiment=experiment, salt=salt)

    def _listener(self, experiment: Experiment, number: int) -> User:
        email = f"sim-{experiment.pk}-{number}@{SIM_DOMAIN}"
        user = User.objects.filter(email=email).first()
        if user is None:
            with transaction.atomic():
                # A random password nobody knows: simulated listeners never log in.
                user = user_create(email=email, password=secrets.token_urlsafe(24), role=Role.LISTENER)
                consent_record_choices(user=user, choices=dict.fromkeys(ConsentPurpose.values, True))
        return user

    def _listen(
        self,
        version: PlaylistVersion,
        taste: np.ndarray,
        rng: np.random.Generator,
        effect: float,
        control_id: int | None,
    ) -> None:
        record = VersionAssignment.objects.filter(version=version).first()
        treated = record is not None and record.variant_id is not None and record.variant_id != control_id
        rows = list(version.items.values_list(*(f"track__{feature}" for feature in TASTE_FEATURES)))
        plays = skips = completions = likes = saves = 0
        for row in rows:
            values = np.array([value if value is not None else 0.5 for value in row], dtype=float)
            distance = float(np.abs(values - taste).mean())
            skip = BASE_SKIP + SKIP_PER_DISTANCE * (distance - 0.25) - (effect if treated else 0.0)
            plays += 1
            if rng.random() < min(max(skip, 0.02), 0.98):
                skips += 1
                continue
            completions += rng.random() < 0.9
            likes += rng.random() < 0.3 * (1 - distance)
            saves += rng.random() < 0.15 * (1 - distance)
        services.simulated_outcome_record(
            version=version, plays=plays, skips=skips, completions=completions, likes=likes, saves=saves
        )

    def _summary(self, experiment: Experiment) -> None:
        self.stdout.write(f"Experiment “{experiment.name}” (id {experiment.pk}):")
        for variant in experiment.variants.order_by("position"):
            listeners = Assignment.objects.filter(variant=variant).count()
            versions = VersionAssignment.objects.filter(variant=variant).count()
            self.stdout.write(f"  {variant.name}: {listeners} listeners, {versions} playlists")
        url = reverse("experiments:experiment", args=[experiment.pk])
        self.stdout.write(f"Results: {url}")
