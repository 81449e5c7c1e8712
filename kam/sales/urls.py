from django.urls import path

from kam.sales import views

app_name = "sales"
urlpatterns = [
    path("deals/", views.deal_list, name="deal_list"),
    path("deals/board/", views.board, name="board"),
    path("deals/board/columns/<int:stage_id>/", views.board_column, name="board_column"),
    path("deals/forecast/", views.forecast, name="forecast"),
    path("deals/export/", views.deal_export, name="deal_export"),
    path("deals/new/", views.deal_create, name="deal_create"),
    path("deals/account-options/", views.account_options, name="account_options"),
    path("deals/<int:pk>/", views.deal_detail, name="deal_detail"),
    path("deals/<int:pk>/edit/", views.deal_edit, name="deal_edit"),
    path("deals/<int:pk>/move/", views.deal_move, name="deal_move"),
    path("deals/<int:pk>/delete/", views.deal_delete, name="deal_delete"),
    path("deals/<int:pk>/needs/", views.need_add, name="need_add"),
    path("deals/<int:pk>/objections/", views.objection_add, name="objection_add"),
    path("needs/<int:pk>/edit/", views.need_edit, name="need_edit"),
    path("needs/<int:pk>/delete/", views.need_delete, name="need_delete"),
    path("objections/<int:pk>/edit/", views.objection_edit, name="objection_edit"),
    path("objections/<int:pk>/delete/", views.objection_delete, name="objection_delete"),
    path("accounts/<int:pk>/deals-panel/", views.account_deals_panel, name="account_deals_panel"),
]
