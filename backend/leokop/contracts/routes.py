"""Routes of contracts: list, detail, create and edit."""

from __future__ import annotations

from typing import Any

from litestar.params import FromPath
from litestar import Request, Response, get, post

from leokop.contracts import service
from leokop.contracts.schemas import LOG_FORMS, LOG_MODES, ContractForm
from leokop.errors import ValidationFailed
from leokop.web.forms import errors_from, parse_form
from leokop.web.guards import user_may
from leokop.web.pages import format_minutes, redirect, render


@get("/contracts", opt={"action": "contract.view"}, include_in_schema=False)
async def contracts_page(request: Request) -> Response:
    user = request.scope["user"]
    return render(
        request,
        "contracts/list.html",
        contracts=await service.list_contracts(user),
        may_edit=await user_may(user, "contract.edit"),
    )


@get("/contracts/{contract_id:int}", opt={"action": "contract.view"}, include_in_schema=False)
async def contract_page(request: Request, contract_id: FromPath[int]) -> Response:
    user = request.scope["user"]
    return render(
        request,
        "contracts/detail.html",
        contract=await service.get_contract(user, contract_id),
        consent=await service.consent_of(contract_id),
        may_edit=await user_may(user, "contract.edit"),
        may_consent=await user_may(user, "consent.manage"),
        may_set_absence_basis=await user_may(user, "absence.basis"),
        may_share_sick_days=await user_may(user, "absence.sick_days"),
        may_prepare_exam=await user_may(user, "exam.prepare"),
        log_forms=LOG_FORMS,
        log_modes=LOG_MODES,
    )


async def _form_page(request: Request, contract_id: int | None, status_code: int = 200, **context: Any) -> Response:
    return render(
        request,
        "contracts/form.html",
        status_code=status_code,
        contract_id=contract_id,
        choices=await service.form_choices(request.scope["user"]),
        log_forms=LOG_FORMS,
        log_modes=LOG_MODES,
        **context,
    )


NEW_CONTRACT_DEFAULTS = {"log_form": "electronic", "log_mode": "daily", "daily_hours": "8:00", "trainer_ids": [], "instructor_ids": []}


@get("/contracts/new", opt={"action": "contract.edit"}, include_in_schema=False)
async def new_contract_page(request: Request) -> Response:
    user = request.scope["user"]
    values = dict(NEW_CONTRACT_DEFAULTS, trainer_ids=[str(user.id)])
    return await _form_page(request, None, values=values)


@get("/contracts/{contract_id:int}/edit", opt={"action": "contract.edit"}, include_in_schema=False)
async def edit_contract_page(request: Request, contract_id: FromPath[int]) -> Response:
    contract = await service.get_contract(request.scope["user"], contract_id)
    values = {
        "apprentice_id": str(contract.apprentice_id),
        "occupation_id": str(contract.occupation_id),
        "start_date": contract.start_date.strftime("%d.%m.%Y"),
        "end_date": contract.end_date.strftime("%d.%m.%Y"),
        "log_form": contract.log_form,
        "log_mode": contract.log_mode,
        "daily_hours": format_minutes(contract.daily_minutes),
        "trainer_ids": [str(i) for i in contract.trainer_ids],
        "instructor_ids": [str(i) for i in contract.instructor_ids],
        "school_id": str(contract.school_id or ""),
    }
    return await _form_page(request, contract_id, values=values)


async def _save(request: Request, contract_id: int | None) -> Response:
    parsed = parse_form(ContractForm, await request.form())
    if parsed.ok:
        try:
            saved_id = await service.save_contract(request.scope["user"], parsed.data, contract_id)
        except ValidationFailed as failure:
            return await _form_page(request, contract_id, 422, errors=errors_from(failure), values=parsed.values)
        return redirect(request, f"/contracts/{saved_id}?gespeichert=1")
    return await _form_page(request, contract_id, 422, errors=parsed.errors, values=parsed.values)


@post("/contracts", opt={"action": "contract.edit"}, include_in_schema=False)
async def create_contract(request: Request) -> Response:
    return await _save(request, None)


@post("/contracts/{contract_id:int}", opt={"action": "contract.edit"}, include_in_schema=False)
async def update_contract(request: Request, contract_id: FromPath[int]) -> Response:
    await service.get_contract(request.scope["user"], contract_id)
    return await _save(request, contract_id)


@post("/contracts/{contract_id:int}/consent", opt={"action": "consent.manage"}, include_in_schema=False)
async def set_consent(request: Request, contract_id: FromPath[int]) -> Response:
    """The apprentice's consent to the school reading the log, or the company's withdrawal of it."""
    form = await request.form()
    await service.set_consent(request.scope["user"], contract_id, form.get("allow") == "1")
    return redirect(request, f"/contracts/{contract_id}#einwilligung")


ROUTES = [contracts_page, contract_page, new_contract_page, edit_contract_page, create_contract, update_contract, set_consent]
