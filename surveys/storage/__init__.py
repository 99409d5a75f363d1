"""Storage: the database (connection, migrations, the write transaction, backups) and the files that go in and out (uploaded tables, spreadsheet exports)."""
