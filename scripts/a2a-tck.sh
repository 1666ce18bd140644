#!/usr/bin/env bash
# The A2A TCK (a2aproject/a2a-tck, branch main) against a Commons agent, in one command:
#
#   scripts/a2a-tck.sh <tck-checkout> [category ...]     # default category: mandatory
#   PORT=8799 scripts/a2a-tck.sh /tmp/a2a-tck mandatory capabilities quality features
#
# It starts a private edge (wrangler dev, fresh state in a temporary directory) whose origin
# root serves the card of the agent "tck-sut" (COMMONS_ROOT_AGENT: the TCK reads only
# /.well-known/agent-card.json) and whose agents think with the hold brain
# (COMMONS_A2A_BRAIN=hold: the TCK expects the tasks it creates to stay working), mints a
# bearer token for that agent with `commons a2a token`, runs each category with Debian's
# Python (/usr/bin/python3: the TCK's packages per ../shared/RECIPES.md), prints each
# category's pytest summary line, and stops the edge. Not part of CI (CI cannot fetch the
# TCK); the result and commit go in docs/AGENTS.md, "Conformance". Exit status: 0 when every
# category passed, else 1.
set -euo pipefail

tck=${1:?usage: scripts/a2a-tck.sh <a2a-tck checkout> [category ...]}
shift
categories=("${@:-mandatory}")
[ -f "$tck/run_tck.py" ] || { echo "no run_tck.py in $tck: clone a2aproject/a2a-tck (branch main) there" >&2; exit 2; }
tck=$(cd "$tck" && pwd)
repo=$(cd "$(dirname "$0")/.." && pwd)
port=${PORT:-8799}
inspector=$((port + 1))
agent=tck-sut
# The TCK's card check flags 127.0.0.1 in a card (an "internal URL") but allows localhost.
base="http://localhost:$port/agents/$agent"
work=$(mktemp -d /tmp/commons-tck.XXXXXX)
# wrangler needs Node >= 22: the repository's own node (node_modules/.bin) comes first.
export PATH="$repo/node_modules/.bin:$PATH"

cd "$repo"
setsid node node_modules/wrangler/bin/wrangler.js dev --ip 127.0.0.1 --port "$port" --inspector-port "$inspector" \
  --persist-to "$work/edge" --show-interactive-dev-session=false --log-level warn \
  --var "COMMONS_ROOT_AGENT:$agent" --var COMMONS_A2A_BRAIN:hold >"$work/edge.log" 2>&1 </dev/null &
edge=$!
stop() { kill -TERM -- "-$edge" 2>/dev/null || true; wait "$edge" 2>/dev/null || true; kill -KILL -- "-$edge" 2>/dev/null || true; rm -rf "$work"; }
trap stop EXIT

for _ in $(seq 1 180); do
  curl -sf -o /dev/null "$base/.well-known/agent-card.json" && break
  kill -0 "$edge" 2>/dev/null || { cat "$work/edge.log" >&2; exit 1; }
  sleep 1
done
curl -sf -o /dev/null "http://localhost:$port/.well-known/agent-card.json" || { echo "the edge did not come up on :$port" >&2; cat "$work/edge.log" >&2; exit 1; }

token=$(COMMONS_HOME="$work/home" bin/commons a2a token "$base" --ttl 7200 2>/dev/null)
echo "edge http://localhost:$port (commit $(git rev-parse --short HEAD 2>/dev/null || echo 'not a git checkout')), TCK $(git -C "$tck" rev-parse --short HEAD 2>/dev/null || echo '?'), agent $base"

status=0
cd "$tck"
for category in "${categories[@]}"; do
  log="$work/tck-$category.log"
  A2A_AUTH_TYPE=bearer A2A_AUTH_TOKEN="$token" /usr/bin/python3 run_tck.py --sut-url "$base" --category "$category" >"$log" 2>&1 || status=1
  cp "$log" "/tmp/a2a-tck-$category.log"
  echo "$category: $(grep -E '^[0-9]+ (passed|failed|skipped|deselected)|^=+ .*(passed|failed|skipped)' "$log" | tail -1 | tr -d '=') (log: /tmp/a2a-tck-$category.log)"
  grep -E '^(FAILED|ERROR) tests/' "$log" | sed 's/^/  /' || true
done
exit "$status"
