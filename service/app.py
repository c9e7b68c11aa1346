"""The HTTP API: thin routes over the search engine."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import Depends, FastAPI, Query, Request

from service.schemas import (MAX_QUESTION_CHARS, DocumentOut, HealthResponse, Question, SearchRequest,
                             SearchResponse, TopK)
from service.search import SearchEngine

DESCRIPTION = """Ask the reports of a meeting a question, in French or English, and get back the
passages that answer it: each with its report, page and exact character span, and the people who said it."""


def get_engine(request: Request) -> SearchEngine:
    """The search engine this app serves."""
    return request.app.state.engine


Engine = Annotated[SearchEngine, Depends(get_engine)]


def create_app(engine: SearchEngine) -> FastAPI:
    """The FastAPI app serving one loaded search engine."""
    app = FastAPI(title="citeqa", version="0.1.0", description=DESCRIPTION)
    app.state.engine = engine

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
