"""Import every area's models so the metadata (and Alembic's autogenerate) sees all tables."""
from portal.auditlog.models import AuditLogEntry  # noqa: F401
from portal.auth.models import User  # noqa: F401
from portal.clients.models import Client, ClientAccess, ClientContact  # noqa: F401
from portal.orgs.models import Organisation, OrganisationLink, ServiceArea  # noqa: F401
from portal.settings.models import CountyProfile, OfficeDayOverride, Setting  # noqa: F401
from portal.billing.models import (  # noqa: F401
    BillingProfile, CareAdmission, Carer, CopayRatio, CorrectionRequest, CprCertificate, Declaration, DeclarationLine,
    DeclarationVersion, HealthCheck, HomeDay, OpeningHoursFiling, ServiceDay, ServiceDayRevision, ServicePrice,
    StaffChange, SubsidyChange,
)
from portal.reports.models import ReportComment, ReportOverride, ReportPhoto, ReportSection, ReportSubmission, ResultReport  # noqa: F401
