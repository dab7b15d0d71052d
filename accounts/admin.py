from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import Provider, ServiceCentre, Settlement, User


@admin.register(User)
class KezekUserAdmin(UserAdmin):
    fieldsets = UserAdmin.fieldsets + (("Kezek", {"fields": ("role", "iin", "provider", "service_centre", "patronymic")}),)
    list_display = ("username", "role", "iin", "provider", "service_centre", "is_active")
    list_filter = ("role", "provider")


admin.site.register(Provider)
admin.site.register(Settlement)
admin.site.register(ServiceCentre)
