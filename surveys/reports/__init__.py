"""Reports: the round report, the Excel workbook, the PDF bulletin, notices, access slips, the audit log view."""
