"""/docs without the network: Swagger UI from the swagger-ui-bundle package when it is
installed (FastAPI's default page loads it from a CDN), else a small page of our own that
renders /openapi.json."""

from __future__ import annotations

from pathlib import Path
from typing import Any

STATIC = Path(__file__).parent / "static"


def swagger_assets() -> Path | None:
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        return None
    path = Path(str(swagger_ui_path))
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
            swagger_favicon_url="/docs/assets/favicon-32x32.png",
        )
