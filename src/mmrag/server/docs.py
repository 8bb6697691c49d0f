"""/docs without the network: Swagger UI from the assets the fastapi-offline package ships
(FastAPI's default page loads them from a CDN; swagger-ui-bundle on PyPI holds Swagger UI 4,
which cannot read FastAPI's OpenAPI 3.1), else a small page of our own over /openapi.json."""

from __future__ import annotations

from pathlib import Path
from typing import Any

STATIC = Path(__file__).parent / "static"


def swagger_assets() -> Path | None:
    from importlib.util import find_spec

    spec = find_spec("fastapi_offline")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "static"
    return path if (path / "swagger-ui-bundle.js").is_file() else None


def mount(app: Any) -> None:
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import FileResponse
    from fastapi.staticfiles import StaticFiles

    assets = swagger_assets()
    if assets is None:
        @app.get("/docs", include_in_schema=False)
        def plain_docs() -> Any:
            return FileResponse(STATIC / "docs.html", media_type="text/html; charset=utf-8")
        return

    app.mount("/docs/assets", StaticFiles(directory=assets), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    def swagger_docs() -> Any:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url, title="mmrag API",
            swagger_js_url="/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/docs/assets/swagger-ui.css",
            swagger_favicon_url="/docs/assets/favicon.png",
        )
