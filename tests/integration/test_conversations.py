"""Messages (K7) through HTTP and the services: the apprentice's circle (one function, and its SQL
form for the session and the list, compared for every demo person and contract), writing with and
without JavaScript, bad input, attachments, who finds what (404 for everyone outside the circle),
read markers and unread counts, notifications without the message's text, the API, query counts."""

from __future__ import annotations

import datetime as dt
import io
import re

import msgspec
import pytest
from PIL import Image

from leokop.accounts.service import load_user
from leokop.accounts.tables import Guardianship, User
from leokop.contacts.circle import circle_of
from leokop.contacts.circle_sql import member_contracts_sql, member_kinds_sql
from leokop.contracts.tables import Contract, ContractStaff
from leokop.conversations import service as conversations
from leokop.conversations.tables import Conversation, ConversationRead, Message, MessageAttachment
from leokop.notifications import push
from leokop.notifications.tables import Notification
from leokop.organisations.tables import ClassTeacher, SchoolClass
from tests.helpers import (
    APPRENTICE,
    APPRENTICE_2,
    COMPANY_ADMIN,
    GUARDIAN,
    INSTRUCTOR,
    SCHOOL_ADMIN,
    SMALL_APPRENTICE,
    SMALL_TRAINER,
    TEACHER,
    TRAINER,
    TRAINER_2,
    csrf_token,
    field_error,
    login,
    logout,
    post,
)

TEACHER_2 = "julia.krueger@bs-main.example"  # teaches IM25b, not Finn's class


def user_id(run, email: str) -> int:
    return run(User.select(User.id).where(User.email == email).first)["id"]


def contract_of(run, email: str) -> int:
    return run(Contract.select(Contract.id).where(Contract.apprentice.email == email).first)["id"]


def url(contract_id: int, kind: str = "with_apprentice") -> str:
    return conversations.conversation_url(contract_id, kind)


def write(client, contract_id: int, text: str, kind: str = "with_apprentice", **kwargs):
    return post(client, url(contract_id, kind), {"body": text}, **kwargs)


def upload(client, contract_id: int, text: str, name: str, data: bytes, content_type: str, kind: str = "with_apprentice"):
    return client.post(
        url(contract_id, kind),
        data={"body": text, "_csrf_token": csrf_token(client)},
        files={"file": (name, data, content_type)},
        follow_redirects=False,
    )


def message_notifications(run, email: str) -> list[dict]:
    return run(
        Notification.select(Notification.title, Notification.body, Notification.url, Notification.read_at, Notification.dedupe_key)
        .where(Notification.user == user_id(run, email), Notification.kind == "message")
        .order_by(Notification.id)
    )


def nav_count(html: str) -> int:
    found = re.search(r'class="nav-count">(\d+)<', html)
    return int(found.group(1)) if found else 0


@pytest.fixture
def finn(run) -> int:
    return contract_of(run, APPRENTICE)


# --- the circle ------------------------------------------------------------------------------------


def relations(circle) -> dict[str, str]:
    return {m.name: m.title for m in circle.members}


def test_the_circle_holds_every_relation_and_nobody_else(run, finn):
    circle = run(circle_of, finn)
    assert relations(circle) == {
        "Finn Schneider": "apprentice",
        "Markus Weber": "trainer",
        "Tobias Klein": "instructor",
        "Sabine Hoffmann": "company_admin",
        "Dr. Thomas Berg": "class_lead",  # teaches FIA25a; Finn's consent to read the log does not matter
    }
    assert circle.member(user_id(run, TEACHER)).subjects == "LF 5, LF 6, Politik und Wirtschaft"
    assert [m.name for m in circle.in_conversation("staff")] == ["Markus Weber", "Tobias Klein", "Sabine Hoffmann", "Dr. Thomas Berg"]
    # Outside: the other trainer of the company, the other class's teacher, the school's office,
    # fellow apprentices, another company's people, a guardian of someone else.
    for email in (TRAINER_2, TEACHER_2, SCHOOL_ADMIN, APPRENTICE_2, SMALL_TRAINER, GUARDIAN):
        assert circle.member(user_id(run, email)) is None, email
    # Mia never agreed that the school reads her log: her class teacher is in her circle all the same.
    assert run(circle_of, contract_of(run, APPRENTICE_2)).member(user_id(run, TEACHER)) is not None
    # A minor without class: her trainer, her guardian (contacts only), no company admin (none), no teacher.
    lena = run(circle_of, contract_of(run, SMALL_APPRENTICE))
    assert relations(lena) == {"Lena Wolf": "apprentice", "Jonas Becker": "trainer", "Andrea Wolf": "guardian"}
    assert [m.name for m in lena.in_conversation("with_apprentice")] == ["Lena Wolf", "Jonas Becker"]
    assert run(circle_of, 999999) is None


def test_the_circle_follows_changes_of_staff_class_age_and_accounts(run, finn):
    sabine = user_id(run, COMPANY_ADMIN)
    run(ContractStaff.insert(ContractStaff(contract=finn, user=sabine, kind="trainer")))
    run(User.update({User.is_active: False}).where(User.email == INSTRUCTOR))
    run(ClassTeacher.update({ClassTeacher.is_class_lead: False}).where(ClassTeacher.teacher == user_id(run, TEACHER)))
    fia = run(SchoolClass.select(SchoolClass.id).where(SchoolClass.name == "FIA25a").first)["id"]
    run(ClassTeacher.insert(ClassTeacher(school_class=fia, teacher=user_id(run, TEACHER_2), subjects="Englisch")))
    circle = run(circle_of, finn)
    # The company admin named on the contract appears once, as trainer; an inactive account is no member.
    assert relations(circle) == {
        "Finn Schneider": "apprentice",
        "Markus Weber": "trainer",
        "Sabine Hoffmann": "trainer",
        "Dr. Thomas Berg": "teacher",
        "Julia Krüger": "teacher",
    }
    # Lena comes of age: her guardian leaves the circle.
    lena = contract_of(run, SMALL_APPRENTICE)
    run(User.update({User.birth_date: dt.date(2000, 1, 1)}).where(User.email == SMALL_APPRENTICE))
    assert "Andrea Wolf" not in relations(run(circle_of, lena))


_SQL_FORM = f"""
SELECT k.id AS contract, kinds.kind
FROM app_user u
CROSS JOIN contract k
CROSS JOIN (SELECT 'with_apprentice' AS kind UNION ALL SELECT 'staff' AS kind) kinds
WHERE u.id = {{}} AND k.id IN ({member_contracts_sql("u.id", "u.role", "u.company")}) AND {member_kinds_sql("kinds.kind", "u.role")}
"""


def test_the_sql_form_of_the_circle_agrees_with_circle_of_for_everyone(run, finn):
    # Beyond the demo: a company admin named on a contract, a second teacher of Finn's class.
    run(ContractStaff.insert(ContractStaff(contract=finn, user=user_id(run, COMPANY_ADMIN), kind="trainer")))
    fia = run(SchoolClass.select(SchoolClass.id).where(SchoolClass.name == "FIA25a").first)["id"]
    run(ClassTeacher.insert(ClassTeacher(school_class=fia, teacher=user_id(run, TEACHER_2))))
    circles = {c["id"]: run(circle_of, c["id"]) for c in run(Contract.select(Contract.id))}
    people = run(User.select(User.id, User.email).where(User.is_active.eq(True)))
    assert len(people) >= 15 and len(circles) >= 5
    for person in people:
        found = {(r["contract"], r["kind"]) for r in run(User.raw(_SQL_FORM, person["id"]))}
        expected = {(c, kind) for c, circle in circles.items() for kind in ("with_apprentice", "staff") if circle.takes_part(person["id"], kind)}
        assert found == expected, person["email"]


# --- writing and reading ---------------------------------------------------------------------------


def test_the_trainer_writes_everyone_in_the_conversation_is_told_without_the_text(client, run, finn):
    login(client, TRAINER)
    page = client.get(url(finn))
    assert page.status_code == 200 and "Noch keine Nachrichten" in page.text
    assert run(Conversation.count()) == 0  # opening creates nothing
    response = write(client, finn, "Bitte bis Freitag die Woche einreichen – und Herr Dr. Berg: Termin Zwischenprüfung?")
    message_id = run(Message.select(Message.id).first)["id"]
    assert response.status_code == 303 and response.headers["location"] == f"{url(finn)}#m-{message_id}"
    page = client.get(url(finn)).text
    assert "Bitte bis Freitag die Woche einreichen" in page and 'class="chat-message chat-own"' in page
    for email in (APPRENTICE, TEACHER, INSTRUCTOR, COMPANY_ADMIN):
        [notice] = message_notifications(run, email)
        assert (notice["title"], notice["body"], notice["url"], notice["read_at"]) == ("Neue Nachricht von Markus Weber", "", url(finn) + "#neu", None)
        # The push payload is built from title, body and URL only: nothing of the message travels.
        payload = msgspec.json.decode(push.build_payload("https://leokop.example", notice["title"], notice["body"], notice["url"], "t"))
        assert "Freitag" not in msgspec.json.encode(payload).decode()
    assert message_notifications(run, TRAINER) == []  # not told of one's own message
    for email in (TRAINER_2, TEACHER_2, SCHOOL_ADMIN, APPRENTICE_2, GUARDIAN):
        assert message_notifications(run, email) == [], email


def test_a_burst_gives_one_unread_notification_until_the_conversation_is_opened(client, run, finn):
    login(client, TRAINER)
    for text in ("Erstens", "Zweitens", "Drittens"):
        assert write(client, finn, text).status_code == 303
    assert len(message_notifications(run, APPRENTICE)) == 1
    logout(client)
    login(client, APPRENTICE)
    assert nav_count(client.get("/").text) == 1
    listed = client.get("/nachrichten").text
    assert "3 neu" in listed and "Markus Weber: Drittens" in listed and f'href="{url(finn)}#neu"' in listed
    page = client.get(url(finn)).text
    assert page.index('id="neu"') < page.index("Erstens") < page.index("Drittens")
    [notice] = message_notifications(run, APPRENTICE)
    assert notice["read_at"] is not None  # opening the conversation reads its notification
    assert nav_count(client.get("/").text) == 0 and "neu</span>" not in client.get("/nachrichten").text
    assert 'id="neu"' not in client.get(url(finn)).text  # nothing new any more
    logout(client)
    login(client, TRAINER)
    write(client, finn, "Viertens")
    notices = message_notifications(run, APPRENTICE)
    assert len(notices) == 2 and notices[1]["read_at"] is None


def test_unread_counts_count_others_messages_per_conversation_and_person(client, run, finn):
    mia = contract_of(run, APPRENTICE_2)
    login(client, TRAINER)
    write(client, finn, "An Finn")
    write(client, finn, "Nur Betrieb und Schule", kind="staff")
    write(client, mia, "An Mia")
    assert nav_count(client.get("/").text) == 0  # one's own messages are read
    logout(client)
    login(client, TEACHER)  # in all three
    assert nav_count(client.get("/").text) == 3
    rows = {(r.contract_id, r.kind): r.unread for r in run(conversations.conversations, run(load_user, user_id(run, TEACHER)))}
    assert rows == {(finn, "with_apprentice"): 1, (finn, "staff"): 1, (mia, "with_apprentice"): 1}
    client.get(url(finn, "staff"))
    assert nav_count(client.get("/").text) == 2
    write(client, mia, "Antwort an Mia")
    assert nav_count(client.get("/").text) == 1
    logout(client)
    login(client, APPRENTICE)  # never in the staff conversation, not in Mia's
    assert nav_count(client.get("/").text) == 1
    assert "Nur Betrieb und Schule" not in client.get("/nachrichten").text
    marker = run(ConversationRead.select(ConversationRead.last_read_message_id).where(ConversationRead.user == user_id(run, TEACHER)))
    assert len(marker) == 2  # the teacher opened one conversation and wrote in another


def test_writing_with_htmx_swaps_the_conversation_in_place(client, run, finn):
    login(client, APPRENTICE)
    response = write(client, finn, "Ich schicke das Foto gleich.", htmx=True)
    assert response.status_code == 200 and "<html" not in response.text
    assert "Ich schicke das Foto gleich." in response.text and "Ihre Nachricht wurde gesendet." in response.text
    assert re.search(r'<textarea id="f-body" name="body"[^>]*></textarea>', response.text)  # the form is empty again
    assert response.headers["hx-push-url"] == "false"
    form = re.search(r'<form id="schreiben"[^>]*>', response.text).group(0)
    assert 'enctype="multipart/form-data"' in form and f'action="{url(finn)}"' in form and f'hx-post="{url(finn)}"' in form


def test_bad_input_is_refused_next_to_the_field_with_the_text_kept_and_nothing_written(client, run, finn):
    login(client, TRAINER)
    empty = write(client, finn, "   ")
    assert empty.status_code == 422 and field_error(empty.text, "body") == "Bitte eine Nachricht schreiben oder eine Datei anhängen."
    long_text = "Ä" * 5001
    too_long = write(client, finn, long_text)
    assert too_long.status_code == 422 and field_error(too_long.text, "body") == "Höchstens 5000 Zeichen."
    assert long_text in too_long.text
    bad_file = upload(client, finn, "Hier das Zeugnis", "zeugnis.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg")
    assert bad_file.status_code == 422 and "Nur Fotos (JPEG, PNG, WebP) und PDF-Dateien" in field_error(bad_file.text, "file")
    assert "Hier das Zeugnis" in bad_file.text and "Die Datei bitte erneut auswählen." in bad_file.text
    assert "Die Datei bitte erneut auswählen." not in empty.text  # no file was chosen
    too_big = upload(client, finn, "", "gross.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "application/pdf")
    assert too_big.status_code == 422 and "größer als 10 MB" in field_error(too_big.text, "file")
    htmx = write(client, finn, "", htmx=True)
    assert htmx.status_code == 422 and "<html" not in htmx.text and field_error(htmx.text, "body")
    assert (run(Conversation.count()), run(Message.count()), run(MessageAttachment.count())) == (0, 0, 0)
    assert message_notifications(run, APPRENTICE) == []
    # NUL characters never reach the database: the form drops them, the API refuses them.
    assert write(client, finn, "Null\x00byte").status_code == 303
    assert run(Message.select(Message.body).first)["body"] == "Nullbyte"


def test_a_photo_is_stored_without_location_and_served_only_to_the_conversation(client, run, finn, app):
    image = Image.new("RGB", (800, 600), (30, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "Kamera GmbH"
    exif[0x8825] = {1: "N", 2: (50.0, 6.0, 0.0), 3: "E", 4: (8.0, 40.0, 0.0)}  # GPS position
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    login(client, APPRENTICE)
    assert upload(client, finn, "", "Werkstatt mit Standort.jpeg", buffer.getvalue(), "image/jpeg").status_code == 303
    page = client.get(url(finn)).text
    attachment = int(re.search(r'/nachrichten/anhaenge/(\d+)/vorschau"', page).group(1))
    original = client.get(f"/nachrichten/anhaenge/{attachment}", headers={"Accept-Encoding": "br, gzip"})
    assert original.status_code == 200 and original.headers["content-type"] == "image/jpeg"
    assert original.headers["content-disposition"] == 'attachment; filename="Werkstatt mit Standort.jpg"'
    assert "sandbox" in original.headers["content-security-policy"] and "content-encoding" not in original.headers
    stored = Image.open(io.BytesIO(original.content))
    assert stored.size == (800, 600) and not stored.getexif()
    thumbnail = client.get(f"/nachrichten/anhaenge/{attachment}/vorschau")
    assert thumbnail.headers["content-type"] == "image/webp" and "sandbox" in thumbnail.headers["content-security-policy"]
    assert not any("Werkstatt" in p.name for p in (__import__("pathlib").Path(app.state.settings.var_dir) / "uploads").rglob("*"))
    # A PDF of the staff conversation: the apprentice never gets it.
    logout(client)
    login(client, TRAINER)
    assert client.get(f"/nachrichten/anhaenge/{attachment}").status_code == 200
    assert upload(client, finn, "AU-Bescheinigung", "au.pdf", b"%PDF-1.7\n%%EOF", "application/pdf", kind="staff").status_code == 303
    pdf = run(MessageAttachment.select(MessageAttachment.id).where(MessageAttachment.content_type == "application/pdf").first)["id"]
    assert client.get(f"/nachrichten/anhaenge/{pdf}/vorschau").status_code == 404  # a PDF has no thumbnail
    for email, allowed in ((TEACHER, (attachment, pdf)), (APPRENTICE, (attachment,)), (TRAINER_2, ()), (TEACHER_2, ()), (APPRENTICE_2, ())):
        logout(client)
        login(client, email)
        for found in (attachment, pdf):
            assert client.get(f"/nachrichten/anhaenge/{found}").status_code == (200 if found in allowed else 404), (email, found)
    logout(client)
    for role, email in (("guardian", GUARDIAN), ("school_admin", SCHOOL_ADMIN)):
        login(client, email)
        assert client.get(f"/nachrichten/anhaenge/{attachment}").status_code == 403, role
        logout(client)


# --- who finds what --------------------------------------------------------------------------------


def test_people_outside_the_circle_find_nothing(client, run, finn):
    login(client, TRAINER)
    write(client, finn, "Vertraulich: Gespräch am Montag")
    write(client, finn, "Intern: Entschuldigung liegt vor", kind="staff")
    logout(client)
    cases = [
        (SMALL_TRAINER, finn, "with_apprentice"),  # another company
        (TRAINER_2, finn, "with_apprentice"),  # the same company, but not Finn's trainer
        (APPRENTICE_2, finn, "with_apprentice"),  # a fellow apprentice: no apprentice-to-apprentice chat
        (APPRENTICE, finn, "staff"),  # the apprentice in the staff conversation
        (TEACHER_2, finn, "with_apprentice"),  # a teacher of another class
        (TEACHER_2, finn, "staff"),
    ]
    for email, contract_id, kind in cases:
        login(client, email)
        for response in (client.get(url(contract_id, kind)), write(client, contract_id, "Hallo?", kind=kind)):
            assert response.status_code == 404, (email, kind, response.status_code)
            assert "Vertraulich" not in response.text and "Intern" not in response.text
            assert email == APPRENTICE or "Finn" not in response.text
        assert email == APPRENTICE or "Finn Schneider" not in client.get("/nachrichten").text
        logout(client)
    assert run(Message.count()) == 2
    login(client, TEACHER)  # Finn's class teacher, in both
    assert "Intern: Entschuldigung liegt vor" in client.get(url(finn, "staff")).text
    assert client.get(f"/contracts/{finn}/nachrichten/unbekannt").status_code == 404
    logout(client)
    for email in (GUARDIAN, SCHOOL_ADMIN):  # the policy: never
        login(client, email)
        assert client.get(url(finn)).status_code == 403 and client.get("/nachrichten").status_code == 403
        logout(client)


def test_older_messages_page_back_and_do_not_move_the_read_marker(client, run, finn):
    login(client, TRAINER)
    markus = run(load_user, user_id(run, TRAINER))
    for number in range(1, conversations.PAGE_SIZE + 6):
        run(conversations.post_message, markus, "", finn, "with_apprentice", f"Nachricht Nummer {number}.")
    logout(client)
    login(client, APPRENTICE)
    page = client.get(url(finn)).text
    assert "Nachricht Nummer 55." in page and "Nachricht Nummer 6." in page and "Nachricht Nummer 5." not in page
    older = re.search(r'href="([^"]+\?vor=\d+)"', page).group(1)
    back = client.get(older).text
    assert "Nachricht Nummer 5." in back and "Nachricht Nummer 1." in back and "Nachricht Nummer 6." not in back
    assert "Zu den neuesten Nachrichten" in back and "?vor=" not in back


# --- the API ---------------------------------------------------------------------------------------


def api_post(client, path: str, body: dict):
    return client.post(path, json=body, headers={"X-CSRFToken": csrf_token(client)})


def test_the_api_lists_reads_and_writes_messages(client, run, finn):
    login(client, TRAINER)
    first = api_post(client, f"/api/v1/contracts/{finn}/messages", {"kind": "staff", "body": "Per API an die Schule"})
    assert first.status_code == 201, first.text
    created = first.json()
    assert (created["author_name"], created["author_title"], created["body"]) == ("Markus Weber", "trainer", "Per API an die Schule")
    conversation_id = created["conversation_id"]
    logout(client)
    login(client, TEACHER)
    listed = client.get("/api/v1/conversations").json()
    assert [(c["id"], c["kind"], c["unread"]) for c in listed] == [(conversation_id, "staff", 1)]
    messages = client.get(f"/api/v1/conversations/{conversation_id}/messages").json()
    assert [(m["body"], m["author_title"]) for m in messages] == [("Per API an die Schule", "trainer")]
    assert client.get("/api/v1/conversations").json()[0]["unread"] == 0  # reading marked it read
    answer = api_post(client, f"/api/v1/conversations/{conversation_id}/messages", {"body": "Danke, erhalten."})
    assert answer.status_code == 201 and answer.json()["author_title"] == "class_lead"
    empty = api_post(client, f"/api/v1/conversations/{conversation_id}/messages", {"body": "  "})
    assert empty.status_code == 422 and empty.json()["errors"]["body"] == "Bitte eine Nachricht schreiben oder eine Datei anhängen."
    nul = api_post(client, f"/api/v1/conversations/{conversation_id}/messages", {"body": "a\x00b"})
    assert nul.status_code == 422 and "Steuerzeichen" in nul.json()["errors"]["body"]
    assert api_post(client, f"/api/v1/conversations/{conversation_id}/messages", {"body": "x" * 5001}).status_code == 400
    logout(client)
    login(client, APPRENTICE)  # not in the staff conversation
    assert client.get(f"/api/v1/conversations/{conversation_id}/messages").status_code == 404
    assert api_post(client, f"/api/v1/conversations/{conversation_id}/messages", {"body": "Ich auch?"}).status_code == 404
    assert api_post(client, f"/api/v1/contracts/{finn}/messages", {"kind": "staff", "body": "Ich auch?"}).status_code == 404
    assert client.get("/api/v1/conversations").json() == []
    assert client.get("/api/v1/conversations/999999/messages").status_code == 404
    assert run(Message.count()) == 2
    paths = set(client.get("/schema/openapi.json").json()["paths"])
    assert {"/api/v1/conversations", "/api/v1/conversations/{conversation_id}/messages", "/api/v1/contracts/{contract_id}/messages", "/api/v1/contracts/{contract_id}/contacts"} <= paths


def test_the_navigation_offers_messages_to_the_circles_roles_only(client):
    for email, shown in ((APPRENTICE, True), (TRAINER, True), (INSTRUCTOR, True), (COMPANY_ADMIN, True), (TEACHER, True),
                         (GUARDIAN, False), (SCHOOL_ADMIN, False), ("admin@leokop.example", False)):
        login(client, email)
        assert ('<a href="/nachrichten"' in client.get("/account").text) is shown, email
        logout(client)


def test_two_first_messages_make_one_conversation(run, finn):
    markus, berg = (run(load_user, user_id(run, email)) for email in (TRAINER, TEACHER))
    one = run(conversations.post_message, markus, "", finn, "staff", "Erste Nachricht")
    two = run(conversations.post_message, berg, "", finn, "staff", "Auch eine erste Nachricht")
    assert one[0] == two[0] and run(Conversation.count()) == 1


# --- pages stay cheap ------------------------------------------------------------------------------


def test_pages_run_the_same_number_of_queries_for_few_or_many_messages(client, run, finn, count_queries, app):
    var_dir = app.state.settings.var_dir
    markus = run(load_user, user_id(run, TRAINER))
    berg = run(load_user, user_id(run, TEACHER))
    mia = contract_of(run, APPRENTICE_2)
    pdf = conversations.Upload("a.pdf", b"%PDF-1.7\n%%EOF")

    def measure(email: str, path: str) -> int:
        login(client, email)
        client.get(path)  # the session's first touch may write
        count_queries.clear()
        assert client.get(path).status_code == 200
        counted = len(count_queries)
        logout(client)
        return counted

    run(conversations.post_message, markus, var_dir, finn, "with_apprentice", "Eins", pdf)
    few = {path: measure(TEACHER, path) for path in (url(finn), "/nachrichten", f"/contracts/{finn}/kontakte")}
    for number in range(30):
        run(conversations.post_message, markus if number % 2 else berg, var_dir, finn, "with_apprentice", f"Nachricht {number}", pdf)
        run(conversations.post_message, markus, "", mia, "with_apprentice", f"An Mia {number}")
        run(conversations.post_message, berg, "", mia, "staff", f"Über Mia {number}")
    many = {path: measure(TEACHER, path) for path in (url(finn), "/nachrichten", f"/contracts/{finn}/kontakte")}
    assert many == few, (few, many)
    assert few[url(finn)] <= 12 and few["/nachrichten"] <= 2 and few[f"/contracts/{finn}/kontakte"] <= 6, few
