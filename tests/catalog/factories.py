"""Catalog test data: small, made here (the real data sets never enter the project)."""

from __future__ import annotations

import factory
import numpy as np

from catalog.features import EMBEDDING_DIMENSIONS
from catalog.models import Artist, Tag, TagKind, Track, TrackArtist, TrackTag


def unit_vector(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).standard_normal(EMBEDDING_DIMENSIONS).astype(np.float32)
    return vector / np.linalg.norm(vector)


class ArtistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Artist

    name = factory.Sequence(lambda n: f"Artist {n}")


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("kind", "name")

    name = factory.Sequence(lambda n: f"tag {n}")
    kind = TagKind.GENRE


class TrackFactory(factory.django.DjangoModelFactory):
    """A track; pass ``artists=[...]`` and ``tags=[...]`` (Tag objects or names) to link them."""

    class Meta:
        model = Track
        skip_postgeneration_save = True

    source = "test"
    source_id = factory.Sequence(lambda n: f"t{n:06d}")
    title = factory.Sequence(lambda n: f"Song {n}")
    album = "Test Album"
    release_year = 2001
    duration_ms = 200_000
    popularity = 50
    energy = 0.5
    valence = 0.5
    danceability = 0.5
    tempo = 120.0
    document = factory.LazyAttribute(lambda track: f"{track.title} test document")
    embedding = factory.Sequence(lambda n: unit_vector(n))

    @factory.post_generation
    def artists(self, create: bool, extracted: list | None, **kwargs: object) -> None:
        artists = extracted if extracted is not None else [ArtistFactory()]
        for position, artist in enumerate(artists):
            if isinstance(artist, str):
                artist = Artist.objects.get_or_create(name=artist)[0]
            TrackArtist.objects.create(track=self, artist=artist, position=position)

    @factory.post_generation
    def tags(self, create: bool, extracted: list | None, **kwargs: object) -> None:
        for tag in extracted or []:
            if isinstance(tag, str):
                tag = TagFactory(name=tag)
            TrackTag.objects.create(track=self, tag=tag)
