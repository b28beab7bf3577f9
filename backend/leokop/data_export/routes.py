"""Routes of the data export (L16): the apprentice's export page (start, watch, download) and the
published JSON Schema of the export document."""

from __future__ import annotations

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import File

from leokop.data_export import service
from leokop.data_export.schemas import json_schema
from leokop.policy import PUBLIC
from leokop.timeutil import to_berlin
from leokop.web.pages import redirect, render

PAGE = "/account/datenexport"
SCHEMA_PATH = "/api/v1/export-schema"


def size_text(size: int) -> str:
    """Bytes as people read them, in German: 980 KB, 12,4 MB."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")


@get(PAGE, opt={"action": "data.export"}, include_in_schema=False)
async def data_export_page(request: Request, warten: FromQuery[str | None] = None) -> Response:
    """The page; htmx polls it (every 2 s while an export is queued or running) for the status
    block, with `warten=<id>-<state>` of what it shows: unchanged answers 204 (nothing is swapped,
    nothing is read out again)."""
    exports = await service.exports_of(request.scope["user"])
    latest = exports[0] if exports else None
    if warten is not None and latest is not None and warten == f"{latest.id}-{latest.state}":
        return Response(b"", status_code=204, headers={"Vary": "HX-Request"})
    return render(
        request,
        "data_export/page.html",
        block="status",
        exports=exports,
        latest=latest,
        size_text=size_text,
    )


@post(PAGE, opt={"action": "data.export"}, include_in_schema=False)
async def start_data_export(request: Request) -> Response:
    await service.request_export(request.scope["user"])
    return redirect(request, PAGE)


@get(PAGE + "/{data_export_id:int}/download", opt={"action": "data.export", "no_compression": True}, include_in_schema=False)
async def download_data_export(request: Request, data_export_id: FromPath[int]) -> File:
    """The ZIP, streamed from disk in chunks; only its owner finds it (anyone else: 404)."""
    path, export = await service.download(request.scope["user"], request.app.state.settings.var_dir, data_export_id)
    day = to_berlin(export.finished_at).date().isoformat() if export.finished_at else "export"
    return File(
        path,
        filename=f"leokop-datenexport-{day}.zip",
        media_type="application/zip",
        content_disposition_type="attachment",
    )


@get(
    SCHEMA_PATH,
    opt={"action": PUBLIC},
    tags=["Datenexport"],
    summary="JSON-Schema des Datenexports",
    description="Das JSON-Schema (Draft 2020-12) der Datei leokop-datenexport.json im Datenexport "
    "(Format leokop-datenexport/1). `version` und `x-leokop-format` nennen die Version des Formats.",
    media_type="application/schema+json",
)
async def export_schema(request: Request) -> Response:
    url = request.app.state.settings.effective_base_url + SCHEMA_PATH
    return Response(msgspec.json.encode(json_schema(url)), media_type="application/schema+json")


ROUTES = [data_export_page, start_data_export, download_data_export, export_schema]
