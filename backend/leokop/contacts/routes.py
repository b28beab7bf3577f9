"""Routes of the contact directory: one apprentice's contacts as a page and through the API."""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.params import FromPath

from leokop.contacts import service
from leokop.contacts.schemas import ContactsView
from leokop.conversations.service import SLUGS
from leokop.web.pages import render


@get("/contracts/{contract_id:int}/kontakte", opt={"action": "contacts.view"}, include_in_schema=False)
async def contacts_page(request: Request, contract_id: FromPath[int]) -> Response:
    view = await service.directory(request.scope["user"], contract_id)
    return render(request, "contacts/directory.html", view=view, slugs=SLUGS)


@get("/api/v1/contracts/{contract_id:int}/contacts", opt={"action": "contacts.view"}, tags=["Kontakte"], summary="Kontakte rund um eine/n Auszubildende/n")
async def api_contacts(request: Request, contract_id: FromPath[int]) -> ContactsView:
    """Everyone in the apprentice's circle with role (`title`) and how to reach them, the school's
    office and the chamber's training adviser; `conversation` names the conversation you share."""
    return await service.directory(request.scope["user"], contract_id)


ROUTES = [contacts_page, api_contacts]
