from reports.models.environment import Archive, Destination, Device, Server
from reports.models.report_row import ReportRow

__all__ = ["Archive", "Destination", "Device", "ReportRow", "Server"]
