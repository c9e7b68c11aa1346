"""The HTTP API: thin routes over the search engine."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import Depends, FastAPI, Query, Request

from service.admin import router as admin_router
from service.live import LiveIndex
from service.schemas import (MAX_QUESTION_CHARS, DocumentOut, HealthResponse, Question, SearchRequest,
                             SearchResponse, TopK)
from service.search import SearchEngine
from service.settings import Settings
from service.web import router as web_router

DESCRIPTION = """Ask the reports of a meeting a question, in French or English, and get back the
passages that answer it: each with its report, page and exact character span, and the people who said it."""


def get_engine(request: Request) -> SearchEngine:
    """The engine of the index version current when the request starts (it finishes on it)."""
    return request.app.state.live.engine()


Engine = Annotated[SearchEngine, Depends(get_engine)]


def create_app(live: LiveIndex, settings: Settings) -> FastAPI:
    """The FastAPI app serving the live index."""
    app = FastAPI(title="citeqa", version="0.1.0", description=DESCRIPTION)
    app.state.live = live
    app.state.settings = settings
    app.include_router(admin_router)
    app.include_router(web_router)

    @app.post("/search", response_model=SearchResponse, summary="Answer a question with cited passages")
    def search_post(body: SearchRequest, engine: Engine) -> dict:
        return asdict(engine.search(body.question, body.k))

    @app.get("/search", response_model=SearchResponse, summary="Answer a question with cited passages (GET)")
    def search_get(
        engine: Engine,
        q: Annotated[Question, Query(description=f"The question (1 to {MAX_QUESTION_CHARS} characters)",
                                     examples=["who spoke about child protection"])],
        k: Annotated[TopK, Query()] = 5,
    ) -> dict:
        return asdict(engine.search(q, k))

    @app.get("/health", response_model=HealthResponse, summary="Readiness and what is served")
    def health(engine: Engine) -> dict:
        manifest = engine.version.manifest
        return {"ready": True, "documents": manifest["counts"]["documents"], "chunks": manifest["counts"]["chunks"],
                "model": manifest["model"]["name"], "model_fingerprint": manifest["model"]["fingerprint"],
                "index_version": manifest["version"], "format_version": manifest["format_version"]}

    @app.get("/documents", response_model=list[DocumentOut], summary="The reports in the index")
    def documents(engine: Engine) -> list[dict]:
        return engine.version.documents

    return app
