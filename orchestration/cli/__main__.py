"""`python -m orchestration.cli`: the same as `crm-kpi`."""

import sys

from orchestration.cli.main import main

sys.exit(main())
