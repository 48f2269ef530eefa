"""The alliance's recent activity: every account's movements."""

from fastapi import APIRouter, Response

from api.dependencies import PROGRAM_NOT_FOUND, IndexedDatabase, ProgramFilter
from api.models import Movement
from api.movements import movements_page
from api.pagination import Page
from api.params import DEFAULT_LIMIT, Cursor, KindFilter, Limit

router = APIRouter(tags=["movements"])


@router.get("/movements", response_model=Page[Movement], responses=PROGRAM_NOT_FOUND)
async def list_movements(db: IndexedDatabase, program: ProgramFilter = None, kind: KindFilter = None,
                         limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Response:
    """Every account's movements, newest first: the alliance's (or one program's) recent activity."""
    return (await movements_page(db, None, program, kind, limit, cursor))[1]
