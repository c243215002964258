from django.urls import path

from feedback import api, server_api

app_name = "feedback_api"

urlpatterns = [
    path("events/", api.EventBatchApi.as_view(), name="events"),
    path("taste/", api.TasteApi.as_view(), name="taste"),
    path("taste/exclusions/", api.TasteExclusionApi.as_view(), name="exclusions"),
    path(
        "taste/exclusions/<int:exclusion_id>/", api.TasteExclusionDeleteApi.as_view(), name="exclusion_delete"
    ),
    path("cf/train/", api.CFTrainApi.as_view(), name="cf_train"),
    path("history-imports/", api.HistoryImportListCreateApi.as_view(), name="history_imports"),
    path("history-imports/<int:import_id>/", api.HistoryImportDetailApi.as_view(), name="history_import"),
    path("servers/", server_api.ServerSourceListApi.as_view(), name="servers"),
    path("servers/links/", server_api.ServerLinkListCreateApi.as_view(), name="server_links"),
    path("servers/links/<int:link_id>/", server_api.ServerLinkDetailApi.as_view(), name="server_link"),
    path(
        "servers/links/<int:link_id>/import/", server_api.ServerLinkImportApi.as_view(), name="server_import"
    ),
]
