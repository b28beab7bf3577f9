"""The list of every table, in dependency order (used for engine binding, migrations and test resets)."""

from leokop.absences.tables import Absence, AbsenceEvent
from leokop.accounts.tables import (
    ApiToken,
    Guardianship,
    Invitation,
    LoginThrottle,
    PasswordReset,
    User,
    UserSession,
)
from leokop.audit.tables import AuditRecord
from leokop.contracts.tables import Contract, ContractStaff, ReadingConsent
from leokop.conversations.tables import Conversation, ConversationRead, Message, MessageAttachment
from leokop.curriculum.tables import Occupation
from leokop.data_export.tables import DataExport
from leokop.exam_admission.tables import ShareLink
from leokop.exports.tables import Export, ExportSheet
from leokop.lesson_topics.tables import LessonTopic, TopicPrefill
from leokop.logbook.tables import Attachment, Day, Entry, Phrase, Week
from leokop.notifications.tables import MailMessage, Notification, NotificationSetting, PushSubscription
from leokop.organisations.tables import ClassImport, ClassPlacement, ClassTeacher, Company, School, SchoolClass
from leokop.school_calendar.tables import CalendarFeed, PlanItem, SchoolPeriod
from leokop.signing.tables import CommentTemplate, Signature, Substitution

ALL_TABLES = [
    Occupation,
    Company,
    School,
    SchoolClass,
    User,
    UserSession,
    LoginThrottle,
    Invitation,
    PasswordReset,
    ApiToken,
    Guardianship,
    Contract,
    ContractStaff,
    MailMessage,
    Week,
    Day,
    Entry,
    Phrase,
    Attachment,
    AuditRecord,
    ClassTeacher,
    ClassImport,
    ClassPlacement,
    ReadingConsent,
    Signature,
    Substitution,
    CommentTemplate,
    Notification,
    PushSubscription,
    NotificationSetting,
    SchoolPeriod,
    PlanItem,
    CalendarFeed,
    LessonTopic,
    TopicPrefill,
    Absence,
    AbsenceEvent,
    Conversation,
    Message,
    MessageAttachment,
    ConversationRead,
    Export,
    ExportSheet,
    ShareLink,
    DataExport,
]
