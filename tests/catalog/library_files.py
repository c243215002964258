"""Real audio files for the library tests: encoded by soundfile (ffmpeg for M4A), tagged by mutagen."""

from __future__ import annotations

import base64
import io
import subprocess
from pathlib import Path

import mutagen
import numpy as np
import soundfile
from mutagen.flac import FLAC, Picture
from mutagen.id3 import APIC, ID3, TALB, TCON, TDRC, TIT2, TPE1, TPE2, TPOS, TRCK, TSRC, TXXX, UFID
from mutagen.mp4 import MP4, MP4Cover, MP4FreeForm
from PIL import Image

SAMPLE_RATE = 22050
_SOUNDFILE_FORMATS = {
    ".wav": ("WAV", "PCM_16"),
    ".flac": ("FLAC", "PCM_16"),
    ".ogg": ("OGG", "VORBIS"),
    ".oga": ("OGG", "VORBIS"),
    ".opus": ("OGG", "OPUS"),
    ".mp3": ("MP3", "MPEG_LAYER_III"),
    ".aiff": ("AIFF", "PCM_16"),
}


def tone(seconds: float = 2.0, *, frequency: float = 440.0, seed: int = 0) -> np.ndarray:
    """A sine with a little seeded noise, so two files made with other seeds differ."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    noise = np.random.default_rng(seed).standard_normal(t.size) * 0.01
    return (0.3 * np.sin(2 * np.pi * frequency * t) + noise).astype(np.float32)


def write_audio(path: Path, *, seconds: float = 2.0, frequency: float = 440.0, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    samples = tone(seconds, frequency=frequency, seed=seed)
    suffix = path.suffix.lower()
    if suffix in (".m4a", ".mp4", ".aac"):
        wav = path.with_suffix(".tmp.wav")
        soundfile.write(wav, samples, SAMPLE_RATE, format="WAV")
        subprocess.run(
            ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", str(wav), "-c:a", "aac", str(path)],
            check=True,
        )
        wav.unlink()
        return path
    file_format, subtype = _SOUNDFILE_FORMATS[suffix]
    rate = 48000 if suffix == ".opus" else SAMPLE_RATE
    if rate != SAMPLE_RATE:
        samples = np.interp(
            np.arange(int(samples.size * rate / SAMPLE_RATE)) * SAMPLE_RATE / rate,
            np.arange(samples.size),
            samples,
        ).astype(np.float32)
    soundfile.write(path, samples, rate, format=file_format, subtype=subtype)
    return path


def cover_png(size: int = 800, color: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (size, size), color).save(output, format="PNG")
    return output.getvalue()


def tag(
    path: Path,
    *,
    title: str = "",
    artists: list[str] | None = None,
    album: str = "",
    album_artist: str = "",
    track: int | None = None,
    disc: int | None = None,
    date: str = "",
    genres: list[str] | None = None,
    recording_id: str = "",
    release_id: str = "",
    artist_ids: list[str] | None = None,
    isrc: str = "",
    track_gain: str = "",
    cover: bytes | None = None,
    id3_artist_separator: str | None = None,
) -> Path:
    """Tag a file in its container's own way (ID3, Vorbis comments, MP4 atoms).

    ``id3_artist_separator="/"`` writes several artists in one ID3 text as older writers do;
    by default they are separate values (ID3v2.4 null-separated).
    """
    artists = artists or []
    suffix = path.suffix.lower()
    if suffix in (".mp3", ".wav", ".aiff"):
        audio = mutagen.File(path)
        if audio.tags is None:
            audio.add_tags()
        tags: ID3 = audio.tags
        if title:
            tags.add(TIT2(encoding=3, text=[title]))
        if artists:
            text = [id3_artist_separator.join(artists)] if id3_artist_separator else artists
            tags.add(TPE1(encoding=3, text=text))
        if album:
            tags.add(TALB(encoding=3, text=[album]))
        if album_artist:
            tags.add(TPE2(encoding=3, text=[album_artist]))
        if track:
            tags.add(TRCK(encoding=3, text=[f"{track}/12"]))
        if disc:
            tags.add(TPOS(encoding=3, text=[f"{disc}/2"]))
        if date:
            tags.add(TDRC(encoding=3, text=[date]))
        if genres:
            tags.add(TCON(encoding=3, text=genres))
        if recording_id:
            tags.add(UFID(owner="http://musicbrainz.org", data=recording_id.encode()))
        if release_id:
            tags.add(TXXX(encoding=3, desc="MusicBrainz Album Id", text=[release_id]))
        if artist_ids:
            tags.add(TXXX(encoding=3, desc="MusicBrainz Artist Id", text=artist_ids))
        if isrc:
            tags.add(TSRC(encoding=3, text=[isrc]))
        if track_gain:
            tags.add(TXXX(encoding=3, desc="REPLAYGAIN_TRACK_GAIN", text=[track_gain]))
        if cover:
            tags.add(APIC(encoding=3, mime="image/png", type=3, desc="Cover", data=cover))
        audio.save()
        return path
    if suffix in (".m4a", ".mp4", ".aac"):
        mp4 = MP4(path)
        values: dict[str, object] = {
            "\xa9nam": [title] if title else None,
            "\xa9ART": artists or None,
            "\xa9alb": [album] if album else None,
            "aART": [album_artist] if album_artist else None,
            "\xa9day": [date] if date else None,
            "\xa9gen": genres or None,
            "trkn": [(track, 12)] if track else None,
            "disk": [(disc, 2)] if disc else None,
            "covr": [MP4Cover(cover, imageformat=MP4Cover.FORMAT_PNG)] if cover else None,
        }
        for key, text in (
            ("MusicBrainz Track Id", recording_id),
            ("MusicBrainz Album Id", release_id),
            ("ISRC", isrc),
            ("replaygain_track_gain", track_gain),
        ):
            if text:
                values[f"----:com.apple.iTunes:{key}"] = [MP4FreeForm(text.encode())]
        if artist_ids:
            values["----:com.apple.iTunes:MusicBrainz Artist Id"] = [
                MP4FreeForm(value.encode()) for value in artist_ids
            ]
        for key, value in values.items():
            if value is not None:
                mp4[key] = value
        mp4.save()
        return path
    # Vorbis comments: FLAC, Ogg Vorbis, Opus.
    audio = mutagen.File(path)
    comments = {
        "title": [title] if title else [],
        "artist": artists,
        "album": [album] if album else [],
        "albumartist": [album_artist] if album_artist else [],
        "tracknumber": [str(track)] if track else [],
        "discnumber": [str(disc)] if disc else [],
        "date": [date] if date else [],
        "genre": genres or [],
        "musicbrainz_trackid": [recording_id] if recording_id else [],
        "musicbrainz_albumid": [release_id] if release_id else [],
        "musicbrainz_artistid": artist_ids or [],
        "isrc": [isrc] if isrc else [],
        "replaygain_track_gain": [track_gain] if track_gain else [],
    }
    for key, value in comments.items():
        if value:
            audio[key] = value
    if cover:
        picture = Picture()
        picture.type = 3
        picture.mime = "image/png"
        picture.data = cover
        if isinstance(audio, FLAC):
            audio.add_picture(picture)
        else:
            audio["metadata_block_picture"] = [base64.b64encode(picture.write()).decode("ascii")]
    audio.save()
    return path


def truncate(path: Path, *, keep: float = 0.5) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


RECORDING = "5b11f4ce-a62d-471e-81fc-a69a8278c7da"


def sample_library(root: Path) -> Path:
    """Three files: tagged MP3 (two artists, a genre), FLAC with a MusicBrainz id, untagged Ogg."""
    tag(
        write_audio(root / "Neon Roads" / "After Hours" / "01 - Night Drive.mp3", seed=1),
        title="Night Drive",
        artists=["Neon Roads", "Ada Vox"],
        album="After Hours",
        genres=["Synthwave"],
        date="2019",
    )
    tag(
        write_audio(root / "Neon Roads" / "After Hours" / "02 - City Lights.flac", seed=2),
        title="City Lights",
        artists=["Neon Roads"],
        album="After Hours",
        recording_id=RECORDING,
    )
    write_audio(root / "The Dawns" / "First Light" / "03 - Morning Song.ogg", seed=3)
    return root
