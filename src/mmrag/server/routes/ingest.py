"""Filling the index: POST /api/ingest/upload and /api/ingest/path start a job, GET
/api/ingest/{id} polls it (jobs run one at a time behind the write lock, see :mod:`..jobs`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import JSONResponse

from ...errors import MmragError
from ...ingest import file_hash
from ...loaders import by_extension
from .. import uploads
from ..jobs import Job, Jobs
from ..schemas import IngestPathRequest, JobResponse
from ..security import Forbidden
from ..settings import Settings


def reuse_uploaded(pipeline: Any, saved: list[Path], folder: Path) -> list[Path]:
    """An upload whose content is already an uploaded source is that source (reported as
    unchanged), so sending a file twice does not index it twice."""
    known = {r.hash: Path(r.path) for r in pipeline.sources() if Path(r.path).parent == folder}
    kept = []
    for path in saved:
        same = known.get(file_hash(path))
        if same is not None and same != path and same.is_file():
            path.unlink(missing_ok=True)
            path = same
        kept.append(path)
    return kept


def allowed_path(path: str, settings: Settings) -> Path:
    resolved = Path(path).expanduser().resolve()
    for root in settings.allowed_paths:
        if resolved.is_relative_to(Path(root).expanduser().resolve()):
            return resolved
    roots = [str(r) for r in settings.allowed_paths]
    raise Forbidden(
        f"{path}: not under a folder the server allows (allowed: {roots}; "
        "start the server with --allow-path DIR)"
    )


def finish(job: Job, wait: bool) -> JSONResponse:
    if wait:
        job.finished.wait()
    return JSONResponse(job.to_dict(), status_code=200 if wait else 202)


def ingest_router(pipeline: Any, settings: Settings, jobs: Jobs, upload_dir: Path) -> APIRouter:
    router = APIRouter(tags=["index"])

    @router.post("/ingest/upload", response_model=JobResponse, status_code=202)
    def ingest_upload(
        files: Annotated[list[UploadFile], File()],
        wait: Annotated[bool, Query(description="answer when the job has finished")] = False,
    ) -> Any:
        """Upload files to index. They are stored under the index with generated names."""
        supported = by_extension()
        saved: list[Path] = []
        # one bad file is reported in the job, the rest of the batch is indexed
        refused: list[tuple[str, MmragError]] = []
        try:
            for f in files:
                name = f.filename or "upload"
                try:
                    saved.append(uploads.save(name, f.file, upload_dir,
                                              settings.max_upload_bytes, supported))
                except (uploads.UnsupportedUpload, uploads.UploadTooLarge) as exc:
                    refused.append((name, exc))
        except BaseException:
            for path in saved:
                path.unlink(missing_ok=True)
            raise
        if refused and not saved:
            if len(refused) == 1:
                raise refused[0][1]
            raise uploads.UnsupportedUpload("; ".join(str(e) for _, e in refused))

        saved = reuse_uploaded(pipeline, saved, upload_dir)

        def forget_failed() -> None:
            for path in saved:
                if pipeline.store.source(str(path)) is None:
                    path.unlink(missing_ok=True)

        job = jobs.start([str(p) for p in saved], after=forget_failed,
                         refused=[(name, str(e)) for name, e in refused])
        return finish(job, wait)

    @router.post("/ingest/path", response_model=JobResponse, status_code=202)
    def ingest_path(body: IngestPathRequest, wait: bool = False) -> Any:
        """Index files or folders on the server, under a root the operator allowed
        (``mmrag serve --allow-path DIR``)."""
        paths = [str(allowed_path(p, settings)) for p in body.paths]
        return finish(jobs.start(paths), wait)

    @router.get("/ingest/{job_id}", response_model=JobResponse)
    def ingest_job(job_id: str) -> Any:
        return jobs.get(job_id).to_dict()

    return router
