from reports.models.environment import Archive, Destination, Device, Server
from reports.models.report_row import DeviceSearch, ReadModelGeneration, ReportRow, UserSearch

__all__ = [
    "Archive",
    "Destination",
    "Device",
    "DeviceSearch",
    "ReadModelGeneration",
    "ReportRow",
    "Server",
    "UserSearch",
]
