from django.urls import path

from catalog import streaming

app_name = "stream"

urlpatterns = [
    path("<int:track_id>/stream", streaming.track_stream, name="track"),
    path("<int:track_id>/cover", streaming.track_cover, name="cover"),
]
