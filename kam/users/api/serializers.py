from __future__ import annotations

from rest_framework import serializers

from kam.core.roles import Role
from kam.users.models import Department, Notification, Team, User


class TeamRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name"]


class DepartmentRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name", "kind"]


class UserOutputSerializer(serializers.ModelSerializer):
    team = TeamRefSerializer(read_only=True)
    department = DepartmentRefSerializer(read_only=True)
    display_name = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "first_name",
            "last_name",
            "email",
            "phone",
            "role",
            "team",
            "department",
            "timezone",
            "language",
            "is_active",
            "version",
            "date_joined",
            "last_login",
        ]
        read_only_fields = fields


class UserMeOutputSerializer(UserOutputSerializer):
    """The signed-in user as he sees himself: with his private calendar feed address."""

    calendar_feed_url = serializers.SerializerMethodField()

    class Meta(UserOutputSerializer.Meta):
        fields = [*UserOutputSerializer.Meta.fields, "calendar_feed_url"]
        read_only_fields = fields

    def get_calendar_feed_url(self, user: User) -> str | None:
        """Absolute address calendar programs subscribe to; null when the user has no feed."""
        path = user.calendar_feed_path()
        request = self.context.get("request")
        if path is None or request is None:
            return path
        return str(request.build_absolute_uri(path))


class UserMeUpdateInputSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, required=False)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    timezone = serializers.CharField(max_length=64, required=False, allow_blank=True)
    language = serializers.ChoiceField(choices=["", "en", "ru"], required=False)


class UserAdminUpdateInputSerializer(UserMeUpdateInputSerializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True
    )
    department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), required=False, allow_null=True
    )


class UserCreateInputSerializer(serializers.Serializer):
    username = serializers.RegexField(r"^[\w.@+-]{1,150}$", max_length=150)
    role = serializers.ChoiceField(choices=Role.choices)
    password = serializers.CharField(write_only=True, min_length=8)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    first_name = serializers.CharField(max_length=150, required=False, default="")
    last_name = serializers.CharField(max_length=150, required=False, default="")
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True, default=None
    )
    department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), required=False, allow_null=True, default=None
    )


class TeamOutputSerializer(serializers.ModelSerializer):
    lead: serializers.PrimaryKeyRelatedField[User] = serializers.PrimaryKeyRelatedField(
        read_only=True
    )
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Team
        fields = ["id", "name", "lead", "member_count", "version", "created_at", "updated_at"]
        read_only_fields = fields


class TeamInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    lead: serializers.PrimaryKeyRelatedField[User] = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )


class TeamUpdateInputSerializer(TeamInputSerializer):
    version = serializers.IntegerField(min_value=1, required=False)
    name = serializers.CharField(max_length=120, required=False)


class DepartmentOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name", "kind", "email", "version", "created_at", "updated_at"]
        read_only_fields = fields


class DepartmentInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=Department.Kind.choices)
    email = serializers.EmailField(required=False, allow_blank=True, default="")


class DepartmentUpdateInputSerializer(DepartmentInputSerializer):
    version = serializers.IntegerField(min_value=1, required=False)
    name = serializers.CharField(max_length=120, required=False)
    kind = serializers.ChoiceField(choices=Department.Kind.choices, required=False)
    email = serializers.EmailField(required=False, allow_blank=True)


class NotificationOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "title", "body", "url", "created_at", "read_at"]
        read_only_fields = fields
