from rest_framework import serializers


class TicketSerializer(serializers.Serializer):
    ticket = serializers.CharField(help_text="Single-use; connect to /ws/?ticket=<ticket> before it expires")
    expiresAt = serializers.CharField(help_text="ISO-8601 UTC")
    expiresIn = serializers.IntegerField(help_text="seconds")
    url = serializers.CharField(help_text="path of the WebSocket with the ticket")


class ContactSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=["teacher", "student", "parent"])
    profileId = serializers.UUIDField()
    name = serializers.CharField()
    online = serializers.BooleanField()


class ViewerSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=["teacher", "student", "parent"])
    profileId = serializers.UUIDField()
    name = serializers.CharField()


class ViewingSerializer(serializers.Serializer):
    lessonId = serializers.UUIDField()
    viewers = ViewerSerializer(many=True)


class PresenceSerializer(serializers.Serializer):
    contacts = ContactSerializer(many=True)
    viewing = ViewingSerializer(many=True)
