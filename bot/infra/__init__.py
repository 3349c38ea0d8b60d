"""Infrastructure: database and SQLite driver, migrations, cluster, scheduler, web server, logs,
file locks and private files. Knows no feature."""
