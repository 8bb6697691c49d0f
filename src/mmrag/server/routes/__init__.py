"""The API's routes by concern, each an APIRouter built around what it needs; ``create_app``
composes them (and puts every one but health behind the token)."""
