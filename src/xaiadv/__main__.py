from xaiadv import runtime  # noqa: F401  (records the job's start time first)
from xaiadv.cli import main

raise SystemExit(main())
