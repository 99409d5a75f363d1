#!/usr/bin/env bash
# Set up and run Qiping with the demo county at http://localhost:8501
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] && [ -z "${QIPING_CJK_FONT:-}" ] \
   && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  # the Chinese font the PDF bulletin embeds
  DEBIAN_FRONTEND=noninteractive apt-get update -qq && apt-get install -y -qq fonts-noto-cjk >/dev/null
fi
scripts/setup.sh requirements.txt
exec .venv/bin/streamlit run streamlit_app.py --server.port "${PORT:-8501}" --browser.gatherUsageStats false "$@"
