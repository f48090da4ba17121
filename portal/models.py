"""Import every area's models so the metadata (and Alembic's autogenerate) sees all tables."""
from portal.auditlog.models import AuditLogEntry  # noqa: F401
from portal.auth.models import User  # noqa: F401
from portal.auth.throttle import AddressLoginFailures  # noqa: F401
from portal.clients.models import Client, ClientAccess, ClientContact  # noqa: F401
from portal.incidents.models import (DisputeMediation, Incident, IncidentAttachment, IncidentHandling,  # noqa: F401
                                    IncidentNotification, IncidentReport, IncidentRoute)
from portal.orgs.models import Organisation, OrganisationLink, ServiceArea  # noqa: F401
from portal.settings.models import CountyProfile, OfficeDayOverride, Setting  # noqa: F401
from portal.table_versions import TableVersion  # noqa: F401
from portal.jobs.models import Job  # noqa: F401
from portal.establishment.models import (EstablishmentPlan, PlanAttachment, PlanComment, PlanSection,  # noqa: F401
                                          PlanSubmission, PopulationFigure)
from portal.cases.models import (  # noqa: F401
    Case, CaseManagerProfile, CaseNotice, CarePlan, CarePlanItem, ChangeRequest, ChangeRequestRound, Closure, Dispatch,
    PauseRequest, ProviderEvaluation, ProviderService, Referral, RotationCursor, RotationTurn, ServiceCode, Suspension,
    Visit,
)
from portal.contracts.models import Contract, ContractAction, ContractIneligibility, ViolationPoint  # noqa: F401
from portal.contracts.models import (Contract, ContractAction, ContractIneligibility, ViolationFinding,  # noqa: F401
                                     ViolationPoint)
from portal.audits.models import (Audit, AuditAmendment, AuditAnswer, AuditAnswerChange, AuditAssignment,  # noqa: F401
                                  AuditCorrection, AuditItem, AuditPhoto, AuditRound, AuditSection, AuditTemplate,
                                  AuditTemplateVersion)
from portal.billing.models import (  # noqa: F401
    BillingProfile, CareAdmission, Carer, CopayRatio, CorrectionRequest, CprCertificate, Declaration, DeclarationLine,
    DeclarationVersion, HealthCheck, HomeDay, OpeningHoursFiling, ServiceDay, ServiceDayRevision, ServicePrice,
    StaffChange, SubsidyChange,
)
from portal.guidance.models import (  # noqa: F401
    CapacityAssessment, GrantApplication, GuidanceOfficer, GuidancePlan, GuidanceUnitProfile, GuidanceVisit,
    GuidanceYear, GuidedHome,
)
from portal.reports.models import ReportComment, ReportOverride, ReportPhoto, ReportSection, ReportSubmission, ResultReport  # noqa: F401
