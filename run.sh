#!/usr/bin/env bash
# Set up and run Qiping: the demo county at http://localhost:8501 (this computer only),
# or a real deployment with QIPING_DEMO=0
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] && [ -z "${QIPING_CJK_FONT:-}" ] \
   && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  # the Chinese font the PDF bulletin embeds
  DEBIAN_FRONTEND=noninteractive apt-get update -qq && apt-get install -y -qq fonts-noto-cjk >/dev/null
fi
scripts/setup.sh requirements.txt
if [ "${QIPING_DEMO:-1}" != 0 ] && [ "${QIPING_DEMO_PUBLIC:-}" != 1 ]; then
  # The demo county's passwords are printed on its sign-in page: only this computer
  # may see it (the app refuses to serve the demo beyond the loopback address).
  export STREAMLIT_SERVER_ADDRESS="${STREAMLIT_SERVER_ADDRESS:-127.0.0.1}"
  echo "Qiping demo mode: fictitious county, public passwords, listening on ${STREAMLIT_SERVER_ADDRESS} only." \
       "A real deployment sets QIPING_DEMO=0; QIPING_DEMO_PUBLIC=1 shows the demo to other computers." >&2
elif [ "${QIPING_DEMO:-1}" != 0 ]; then
  echo "WARNING: Qiping demo mode open to the network (QIPING_DEMO_PUBLIC=1): its passwords are public." >&2
fi
exec .venv/bin/streamlit run streamlit_app.py --server.port "${PORT:-8501}" --browser.gatherUsageStats false "$@"
