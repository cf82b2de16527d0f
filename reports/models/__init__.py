from reports.models.environment import Archive, Destination, Device, Server
from reports.models.report_row import (
    DestinationSearch,
    DeviceSearch,
    OrgSearch,
    ReadModelGeneration,
    ReportRow,
    UserSearch,
)

__all__ = [
    "Archive",
    "Destination",
    "DestinationSearch",
    "Device",
    "DeviceSearch",
    "OrgSearch",
    "ReadModelGeneration",
    "ReportRow",
    "Server",
    "UserSearch",
]
