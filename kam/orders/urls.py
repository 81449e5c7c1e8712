from django.urls import path

from kam.orders import quotes_views, views

app_name = "orders"
urlpatterns = [
    path("orders/", views.order_list, name="order_list"),
    path("orders/new/", views.order_create, name="order_create"),
    path("orders/approvals/", views.approval_list, name="approval_list"),
    path("orders/approvals/<int:pk>/decide/", views.approval_decide, name="approval_decide"),
    path("orders/tasks/", views.task_list, name="task_list"),
    path("orders/tasks/<int:pk>/close/", views.task_close, name="task_close"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("orders/<int:pk>/edit/", views.order_edit, name="order_edit"),
    path("orders/<int:pk>/transition/", views.order_transition, name="order_transition"),
    path("orders/<int:pk>/deliveries/", views.delivery_add, name="delivery_add"),
    path("orders/<int:pk>/tasks/", views.task_add, name="task_add"),
    path("orders/<int:pk>/confirmations/", views.order_confirmations, name="order_confirmations"),
    path("quotes/", quotes_views.quote_list, name="quote_list"),
    path("quotes/new/", quotes_views.quote_create, name="quote_create"),
    path("quotes/<int:pk>/", quotes_views.quote_detail, name="quote_detail"),
    path("quotes/<int:pk>/edit/", quotes_views.quote_edit, name="quote_edit"),
    path("quotes/<int:pk>/send/", quotes_views.quote_send, name="quote_send"),
    path("quotes/<int:pk>/accept/", quotes_views.quote_accept, name="quote_accept"),
    path("quotes/<int:pk>/reject/", quotes_views.quote_reject, name="quote_reject"),
    path("quotes/<int:pk>/pdf/", quotes_views.quote_pdf, name="quote_pdf"),
    path(
        "accounts/<int:pk>/orders-panel/", views.account_orders_panel, name="account_orders_panel"
    ),
    path("accounts/<int:pk>/bonus-panel/", views.account_bonus_panel, name="account_bonus_panel"),
    path("orders/bonus-targets/<int:pk>/settle/", views.bonus_settle, name="bonus_settle"),
    path(
        "contracts/<int:pk>/tasks-panel/", views.contract_tasks_panel, name="contract_tasks_panel"
    ),
    path("deals/<int:pk>/orders-panel/", views.deal_orders_panel, name="deal_orders_panel"),
]
