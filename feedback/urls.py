from django.urls import path

from feedback import server_views, views

app_name = "feedback"

urlpatterns = [
    path("", views.taste, name="taste"),
    path("history/", views.history, name="history"),
    path("history/status/", views.history_status, name="history_status"),
    path("exclusions/", views.exclusion_add, name="exclusion_add"),
    path("exclusions/<int:exclusion_id>/remove/", views.exclusion_remove, name="exclusion_remove"),
    path("servers/", server_views.servers, name="servers"),
    path("servers/<int:source_id>/link/", server_views.server_link, name="server_link_add"),
    path("servers/links/<int:link_id>/", server_views.server_link_detail, name="server_link"),
    path("servers/links/<int:link_id>/update/", server_views.server_link_update, name="server_link_update"),
    path("servers/links/<int:link_id>/unlink/", server_views.server_unlink, name="server_unlink"),
    path("servers/links/<int:link_id>/import/", server_views.server_history_import, name="server_import"),
]
