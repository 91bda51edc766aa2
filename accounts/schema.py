from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class ProfileJWTScheme(SimpleJWTScheme):
    target_class = "accounts.authentication.ProfileJWTAuthentication"
    name = "jwtAuth"
