"""Smoke: the login page renders and every demo role reaches its start page."""

import pytest

from tests.helpers import DEMO_USERS_BY_ROLE, login


def test_login_page_is_german(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert "Anmelden" in response.text
    assert 'lang="de"' in response.text


@pytest.mark.parametrize("role", sorted(set(DEMO_USERS_BY_ROLE) - {"apprentice"}))
def test_each_role_lands_on_start_page(client, role):
    login(client, DEMO_USERS_BY_ROLE[role])
    response = client.get("/")
    assert response.status_code == 200
    assert "Guten Tag" in response.text


def test_an_apprentice_lands_on_the_current_week(client):
    login(client, DEMO_USERS_BY_ROLE["apprentice"])
    response = client.get("/")
    assert response.status_code == 200
    assert "Nachweis Nr." in response.text and "Woche einreichen" in response.text
