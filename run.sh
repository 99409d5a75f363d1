#!/usr/bin/env bash
# Set up and run Qiping with the demo county at http://localhost:8501
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh requirements.txt
exec .venv/bin/streamlit run streamlit_app.py --server.port "${PORT:-8501}" --browser.gatherUsageStats false "$@"
