from reports.models.environment import Archive, Destination, Device, Server
from reports.models.report_row import ReadModelGeneration, ReportRow

__all__ = ["Archive", "Destination", "Device", "ReadModelGeneration", "ReportRow", "Server"]
