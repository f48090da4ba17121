"""Import every area's models so the metadata (and Alembic's autogenerate) sees all tables."""
from portal.auditlog.models import AuditLogEntry  # noqa: F401
from portal.auth.models import User  # noqa: F401
from portal.clients.models import Client, ClientAccess, ClientContact  # noqa: F401
from portal.orgs.models import Organisation, OrganisationLink, ServiceArea  # noqa: F401
from portal.settings.models import CountyProfile, OfficeDayOverride, Setting  # noqa: F401
from portal.contracts.models import (Contract, ContractAction, ContractIneligibility, ViolationFinding,  # noqa: F401
                                     ViolationPoint)
from portal.audits.models import (Audit, AuditAmendment, AuditAnswer, AuditAnswerChange, AuditAssignment,  # noqa: F401
                                  AuditCorrection, AuditItem, AuditPhoto, AuditRound, AuditSection, AuditTemplate,
                                  AuditTemplateVersion)
