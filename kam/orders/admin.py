from django.contrib import admin

from kam.orders.models import Approval, DiscountLimit, Order, OrderLine, OrderTask


@admin.register(DiscountLimit)
class DiscountLimitAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["role", "max_percent"]


class OrderLineInline(admin.TabularInline):  # type: ignore[type-arg]
    model = OrderLine
    extra = 0
    readonly_fields = fields = (
        "product",
        "quantity",
        "unit_price",
        "discount_percent",
        "delivered_quantity",
    )
    can_delete = False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["number", "account", "owner", "status", "total_net", "currency", "created_at"]
    list_filter = ["status"]
    search_fields = ["number", "account__name"]
    raw_id_fields = ["account", "deal", "owner"]
    readonly_fields = ("number", "status", "total_net", "total_tax", "is_on_time")
    inlines = [OrderLineInline]


@admin.register(Approval)
class ApprovalAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["reason", "object_id", "status", "requester", "decider", "created_at"]
    list_filter = ["status", "reason"]


@admin.register(OrderTask)
class OrderTaskAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["title", "order", "department", "due_date", "status"]
    list_filter = ["status", "department"]
    raw_id_fields = ["order"]
