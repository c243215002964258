"""A playlist's name is its generated title until the listener renames it (``named_by_listener``);
a refresh notice's dismissal is kept on its version (``notice_dismissed_at``), not in a session.

Existing playlists still on the name made from their prompt at creation get their generated
title; any other name was chosen by the listener and is marked so."""

from django.db import migrations, models

NAME_MAX_LENGTH = 200


def _is_name_from_prompt(name: str, prompt: str) -> bool:
    # The creation default: the prompt with a capital letter, cut at 60 characters with "…".
    return bool(name) and prompt.lower().startswith(name.rstrip("…").lower())


def names_from_generated_titles(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    from playlists.presentation import generated_title

    Playlist = apps.get_model("playlists", "Playlist")
    for playlist in Playlist.objects.only("pk", "name", "prompt", "intent").iterator():
        if not _is_name_from_prompt(playlist.name, playlist.prompt):
            Playlist.objects.filter(pk=playlist.pk).update(named_by_listener=True)
        elif playlist.intent:
            title = generated_title(prompt=playlist.prompt, intent=playlist.intent)[:NAME_MAX_LENGTH]
            Playlist.objects.filter(pk=playlist.pk).update(name=title)


class Migration(migrations.Migration):
    dependencies = [
        ("playlists", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="playlist",
            name="named_by_listener",
            field=models.BooleanField(default=False, help_text="The listener chose the name."),
        ),
        migrations.AddField(
            model_name="playlistversion",
            name="notice_dismissed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(names_from_generated_titles, migrations.RunPython.noop, elidable=True),
    ]
