"""`crm-kpi`, the command line: a front over the same pipeline job and stages the Dagster UI runs
(main.py), running the job in this process and summarising it (runner.py, report.py, progress.py),
and a full disk said in one line (disk_full.py)."""
