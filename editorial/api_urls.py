from django.urls import path

from editorial import api

app_name = "editorial_api"

urlpatterns = [
    path("themes/", api.ThemeListCreateApi.as_view(), name="themes"),
    path("themes/<int:theme_id>/", api.ThemeDetailApi.as_view(), name="theme"),
    path("themes/<int:theme_id>/pins/", api.PinListCreateApi.as_view(), name="pins"),
    path("pins/<int:pin_id>/", api.PinDeleteApi.as_view(), name="pin"),
    path("blocks/", api.BlockListCreateApi.as_view(), name="blocks"),
    path("blocks/<int:block_id>/", api.BlockDeleteApi.as_view(), name="block"),
    path("queue/", api.QueueListApi.as_view(), name="queue"),
    path("queue/<int:item_id>/decisions/", api.QueueDecisionApi.as_view(), name="decide"),
    path("queue/<int:item_id>/resolve/", api.QueueResolveApi.as_view(), name="resolve"),
    path("audit/", api.AuditListApi.as_view(), name="audit"),
    path("reports/", api.ReportCreateApi.as_view(), name="reports"),
]
