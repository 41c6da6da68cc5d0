"""Repository-wide pytest setup: notebooks run in quick mode under pytest.

`pytest --nbmake` (part of the default options, see pyproject.toml) executes every notebook; the
kernel inherits this process's environment, so setting STYLEGAN_NP_QUICK here makes each notebook
shrink its sizes and steps.  Set STYLEGAN_NP_QUICK=0 to execute them in full mode instead."""
import os

os.environ.setdefault("STYLEGAN_NP_QUICK", "1")
