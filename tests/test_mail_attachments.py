"""A mail's attachments are sources of their own (``inbox.eml#attachment/report.pdf``),
read by their own loaders, cited by name with their message, and written, refreshed and
deleted with their mail. Mails are built with the standard library's ``email`` package."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest

from fixtures import NOVEL_PAGES, make_pdf
from mmrag.errors import ConfigError
from mmrag.ingest.watch import sync
from mmrag.loaders.pdf_pages import with_thumbs
from mmrag.pipeline import Pipeline

pytest.importorskip("fpdf")

CSV = b"Quarter,Revenue\nQ1,1.2M\nQ3,2.7M\n"


def mail(subject: str, body: str, *attachments: tuple[str, bytes]) -> bytes:
    message = EmailMessage()
    message["From"] = "ana@example.org"
    message["To"] = "team@example.org"
    message["Subject"] = subject
    message.set_content(body)
    for name, data in attachments:
        maintype, subtype = ("application", "pdf") if name.endswith(".pdf") else ("text", "csv")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


@pytest.fixture
def pdf(tmp_path: Path) -> bytes:
    return make_pdf(tmp_path / "novels.pdf", NOVEL_PAGES).read_bytes()


@pytest.fixture
def rag(tmp_path: Path) -> Pipeline:
    return Pipeline.open(tmp_path / "index", embedder="hash", create=True)


def test_each_attachment_is_a_source_cited_with_its_mail(tmp_path: Path, rag: Pipeline,
                                                         pdf: bytes):
    inbox = tmp_path / "mail" / "inbox.eml"
    inbox.parent.mkdir()
    inbox.write_bytes(mail("Reading list", "Two files attached.", ("novels.pdf", pdf),
                           ("q.csv", CSV)))
    report = rag.ingest([str(inbox)])
    assert report.errors == []
    records = {r.source: r for r in rag.sources()}
    shown = str(inbox)
    assert set(records) == {shown, shown + "#attachment/novels.pdf",
                            shown + "#attachment/q.csv"}
    attached = records[shown + "#attachment/novels.pdf"]
    assert attached.loader == "pdf" and attached.path == shown + "#attachment/novels.pdf"
    assert attached.size == len(pdf) and attached.chunks == rag.store.count() - sum(
        r.chunks for s, r in records.items() if s != attached.source)
    # the mail's own record counts only its message
    assert records[shown].loader == "mail" and records[shown].chunks == 1
    hit = next(h for h in rag.search("Faulkner 1929", k=5)
               if h.source.endswith("novels.pdf"))
    assert hit.source == attached.source and hit.span.page == 3
    assert hit.meta["attachment"] == "novels.pdf" and hit.meta["subject"] == "Reading list"
    assert "attachment novels.pdf of message 'Reading list'" in hit.text
    thumb = Path(hit.meta["thumb"])  # the attachment's pages in its own media folder
    assert thumb.is_relative_to(tmp_path / "index" / "media" / attached.hash)
    assert not thumb.exists()  # rendered when first wanted, from the attachment's copy
    [shown_hit] = with_thumbs([hit])
    assert shown_hit.meta["thumb"] == str(thumb) and thumb.read_bytes()[:2] == b"\xff\xd8"
    row = next(h for h in rag.search("Q3 revenue", k=5) if h.source.endswith("q.csv"))
    assert "| Q3 | 2.7M |" in row.text
    assert rag.ingest([str(inbox)]).unchanged == [shown]


def test_a_changed_mail_refreshes_its_attachments_and_deleting_it_takes_them(
        tmp_path: Path, rag: Pipeline, pdf: bytes):
    inbox = tmp_path / "inbox.eml"
    inbox.write_bytes(mail("Reading list", "Two files.", ("novels.pdf", pdf), ("q.csv", CSV)))
    rag.ingest([str(inbox)])
    csv_hash = next(r.hash for r in rag.sources() if r.source.endswith("q.csv"))
    media = tmp_path / "index" / "media"
    assert (media / csv_hash / "attached" / "q.csv").read_bytes() == CSV
    # the csv is dropped and the PDF kept: the csv's source, chunks and copy go
    inbox.write_bytes(mail("Reading list", "Only the PDF now.", ("novels.pdf", pdf)))
    report = rag.ingest([str(inbox)])
    assert report.updated == [str(inbox)]
    sources = sorted(r.source for r in rag.sources())
    assert sources == [str(inbox), str(inbox) + "#attachment/novels.pdf"]
    assert rag.store.count() == sum(r.chunks for r in rag.sources())
    assert not any(h.source.endswith("q.csv") for h in rag.search("Q3 revenue", k=10))
    assert not (media / csv_hash).exists()
    with pytest.raises(ConfigError, match="attachment of .*inbox.eml: delete the mail"):
        rag.delete(str(inbox) + "#attachment/novels.pdf")
    gone = rag.delete(str(inbox))
    assert sorted(r.source for r in gone) == sources
    assert rag.sources() == [] and rag.store.count() == 0
    assert not any(media.iterdir())


def test_a_mailbox_names_each_attachment_by_its_message(tmp_path: Path, rag: Pipeline):
    box = tmp_path / "box.mbox"
    box.write_bytes(b"".join(
        b"From ana@example.org Mon Jan  1 00:00:00 2024\n" + mail(s, b, ("q.csv", data)) + b"\n"
        for s, b, data in [("Spring", "Spring figures.", CSV),
                           ("Autumn", "Autumn figures.", CSV.replace(b"2.7M", b"3.1M"))]))
    assert rag.ingest([str(box)]).errors == []
    sources = sorted(r.source for r in rag.sources())
    assert sources == [str(box), f"{box}#attachment/1/q.csv", f"{box}#attachment/2/q.csv"]
    autumn = next(h for h in rag.search("Q3 3.1M", k=10) if "3.1M" in h.text)
    assert autumn.source == f"{box}#attachment/2/q.csv" and autumn.meta["subject"] == "Autumn"


def test_a_folder_sync_keeps_attachments_while_their_mail_is_there(tmp_path: Path,
                                                                  rag: Pipeline, pdf: bytes):
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "a.eml").write_bytes(mail("A", "First.", ("q.csv", CSV)))
    (folder / "b.eml").write_bytes(mail("B", "Second.", ("novels.pdf", pdf)))
    sync(rag, [folder])
    assert len(rag.sources()) == 4
    assert sync(rag, [folder]).removed == []
    (folder / "b.eml").unlink()
    removed = sync(rag, [folder]).removed
    assert sorted(Path(s.split("#")[0]).name for s in removed) == ["b.eml", "b.eml"]
    assert sorted(r.source.rsplit("/", 1)[-1] for r in rag.sources()) == ["a.eml", "q.csv"]


def test_the_api_serves_an_attachment_and_its_page_pictures(tmp_path: Path, rag: Pipeline,
                                                           pdf: bytes):
    from fastapi.testclient import TestClient

    from mmrag.server import Settings, create_app

    inbox = tmp_path / "inbox.eml"
    inbox.write_bytes(mail("Reading list", "Attached.", ("novels.pdf", pdf)))
    rag.ingest([str(inbox)])
    client = TestClient(create_app(rag, Settings()), base_url="http://127.0.0.1")
    source = str(inbox) + "#attachment/novels.pdf"
    got = client.get("/api/media", params={"path": source})
    assert got.status_code == 200 and got.content == pdf
    assert got.headers["content-type"] == "application/pdf"
    page = client.get("/api/thumb", params={"path": source, "page": 2})
    assert page.status_code == 200 and page.content[:2] == b"\xff\xd8"
    assert client.get("/api/media", params={"path": str(inbox) + "#attachment/x.pdf"}
                      ).status_code == 404
    deleted = client.delete("/api/sources", params={"path": str(inbox)})
    assert deleted.status_code == 200 and len(deleted.json()["deleted"]) == 2


class Killed(BaseException):
    pass


@pytest.mark.parametrize("step", ["delete", "_add_chunks", "_save_records"])
def test_a_mail_rewrite_killed_midway_is_made_whole_by_the_next_ingest(
        tmp_path: Path, pdf: bytes, monkeypatch, step: str):
    from mmrag.stores.lance import LanceStore

    def state(rag: Pipeline) -> tuple[object, ...]:
        rows = rag.store._chunks.to_arrow().select(["path", "source_hash", "text"]).to_pylist()
        return (sorted((Path(r.path).name, r.hash, r.chunks) for r in rag.sources()),
                sorted((Path(r["path"]).name, r["source_hash"], r["text"]) for r in rows))

    first = mail("Reading list", "Two files.", ("novels.pdf", pdf), ("q.csv", CSV))
    second = mail("Reading list", "Now a new table.", ("r.csv", CSV.replace(b"Q3", b"Q4")))
    clean = Pipeline.open(tmp_path / "clean", embedder="hash", create=True)
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "inbox.eml").write_bytes(first)
    clean.ingest([str(tmp_path / "a")])
    (tmp_path / "a" / "inbox.eml").write_bytes(second)
    clean.ingest([str(tmp_path / "a")])

    inbox = tmp_path / "b" / "inbox.eml"
    inbox.parent.mkdir()
    inbox.write_bytes(first)
    rag = Pipeline.open(tmp_path / "index", embedder="hash", create=True)
    rag.ingest([str(inbox.parent)])
    inbox.write_bytes(second)
    original = getattr(LanceStore, step)

    def killed(self, *args, **kwargs):
        raise Killed(step)

    monkeypatch.setattr(LanceStore, step, killed)
    with pytest.raises(Killed):
        rag.ingest([str(inbox.parent)])
    monkeypatch.setattr(LanceStore, step, original)
    again = Pipeline.open(tmp_path / "index")
    assert again.ingest([str(inbox.parent)]).errors == []
    assert state(again) == state(clean)
