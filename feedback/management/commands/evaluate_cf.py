"""Offline CF evaluation on a (user, item, weight) file: ALS vs item-kNN vs popularity.

    python manage.py evaluate_cf ../shared/data/hetrec2011-lastfm-2k/user_artists.dat

The file is read where it lies (never copied into the project): tab- or comma-separated, a
header line is skipped when its weight column is not a number. 20 % of each user's items
(users with at least 5) are held out; every model trains on the rest and ranks the items the
user has not seen; recall@k and NDCG@k are averaged over the users with held-out items.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError, CommandParser

from feedback.learning import cf


def read_triples(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    users: dict[str, int] = {}
    items: dict[str, int] = {}
    rows, cols, values = [], [], []
    with path.open(newline="", encoding="utf-8") as handle:
        sample = handle.readline()
        delimiter = "\t" if "\t" in sample else ","
        handle.seek(0)
        for number, record in enumerate(csv.reader(handle, delimiter=delimiter)):
            if len(record) < 3:
                continue
            try:
                weight = float(record[2])
            except ValueError:
                if number == 0:
                    continue  # the header
                raise CommandError(f"Line {number + 1}: the weight {record[2]!r} is not a number.") from None
            rows.append(users.setdefault(record[0], len(users)))
            cols.append(items.setdefault(record[1], len(items)))
            values.append(weight)
    if not rows:
        raise CommandError(f"No (user, item, weight) rows in {path}.")
    return np.array(rows), np.array(cols), np.array(values, dtype=np.float32)


class Command(BaseCommand):
    help = "Evaluate ALS, item-kNN and popularity (recall@k, NDCG@k) on a held-out split of a file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--k", type=int, default=20)
        parser.add_argument("--factors", type=int, default=64)
        parser.add_argument("--iterations", type=int, default=cf.ITERATIONS)
        parser.add_argument("--regularization", type=float, default=cf.REGULARIZATION)
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        k = options["k"]
        rows, cols, values = read_triples(path)
        matrix = cf.interaction_matrix(rows, cols, values, (int(rows.max()) + 1, int(cols.max()) + 1))
        split = cf.holdout_split(matrix, seed=options["seed"])
        users = sorted(split.test)
        self.stdout.write(
            f"{path.name}: {matrix.shape[0]} users, {matrix.shape[1]} items, {matrix.nnz} interactions; "
            f"{len(users)} test users, {sum(len(held) for held in split.test.values())} held-out items"
        )
        results = []
        started = time.perf_counter()
        factors = cf.als_train(
            split.train,
            factors=options["factors"],
            regularization=options["regularization"],
            iterations=options["iterations"],
            seed=options["seed"],
        )
        results.append(
            ("ALS", cf.recommend_factors(factors, split.train, users, k), time.perf_counter() - started)
        )
        started = time.perf_counter()
        results.append(
            ("item-kNN (cosine)", cf.recommend_item_knn(split.train, users, k), time.perf_counter() - started)
        )
        started = time.perf_counter()
        results.append(
            ("popularity", cf.recommend_popularity(split.train, users, k), time.perf_counter() - started)
        )
        self.stdout.write(f"{'model':<20} {'recall@' + str(k):>10} {'NDCG@' + str(k):>10} {'seconds':>8}")
        scores = {}
        for name, recommended, seconds in results:
            recall, ndcg = cf.ranking_metrics(recommended, split.test, k)
            scores[name] = (recall, ndcg)
            self.stdout.write(f"{name:<20} {recall:>10.4f} {ndcg:>10.4f} {seconds:>8.2f}")
        als, popularity = scores["ALS"], scores["popularity"]
        self.stdout.write(
            f"ALS / popularity: recall ×{als[0] / popularity[0]:.2f}, NDCG ×{als[1] / popularity[1]:.2f}"
        )
