/**
 * The agents section of docs/BENCHMARKS.md (bench/benchmarks/agents.mjs, issue 12): its
 * target row (SendMessage ≤ 2 × a plain JSON-RPC echo) and the tables, rendered by
 * bench/report.mjs from the same run. Nothing when the run has no agents entry.
 */
export function agentsSection(b, { checks, sections, f, ms, table }) {
  const a = b.agents;
  if (!a || a.error || !a.results) return;
  const { mentionToClaim, roundTrip, subscribers } = a.results;
  const r = roundTrip.ratioP50;
  checks.push({
    name: "A2A SendMessage round trip",
    target: "p50 ≤ 2 × a JSON-RPC echo (same runtime)",
    value: `${ms(roundTrip.sendMessage.p50)} ms`,
    anchor: `${ms(roundTrip.echo.p50)} ms`,
    ratio: `${f(r, 2)}×`,
    verdict: r <= 2 ? "PASS" : "MISS",
  });
  const load = a.machine ? `Other processes kept ${f(a.machine.othersCores, 2)} of the machine's ${a.machine.cores} cores busy on average during this benchmark (${f(a.machine.seconds, 0)} s).` : "";
  sections.push(`## 14. Agents

One edge, one run (bench/benchmarks/agents.mjs). **Mention → committed claim**: an owner's message mentioning one agent (rules brain), from its push over the owner's log
socket to the agent's \`work.claimed\` committed and seen on that socket — the space's notification (\`waitUntil\`), the agent's read from its cursor, its decision, the
trace, the claim through the MCP tools and its commit. With 20 agents every commit notifies all 20 (19 decide not to act).

${table(["agents in the space", "n", "p50 ms", "p99 ms", "max ms"], mentionToClaim.map((c) => [c.agents, c.n, ms(c.p50), ms(c.p99), ms(c.max)]))}

**A2A round trip**: \`SendMessage\` over JSON-RPC with a bearer token (verified against the agent's did) to the echo brain — the SDK's handler, a task stored in the
agent's SQLite — against a plain JSON-RPC echo through a Worker and a Durable Object of the same runtime (bench/servers/agents-echo), interleaved in blocks of 20.

${table(["call", "n", "p50 ms", "p99 ms", "max ms"], [["SendMessage → AgentDO", roundTrip.sendMessage.n, ms(roundTrip.sendMessage.p50), ms(roundTrip.sendMessage.p99), ms(roundTrip.sendMessage.max)], ["JSON-RPC echo → DO", roundTrip.echo.n, ms(roundTrip.echo.p50), ms(roundTrip.echo.p99), ms(roundTrip.echo.max)]])}

Ratio of p50s: ${f(r, 2)}× (target ≤ 2×: ${r <= 2 ? "PASS" : "MISS"}).

**${subscribers.count} agents subscribed to one space**: an owner's post → its commit seen on the socket, first with no agent, then with ${subscribers.count} subscribed (each
notified after every commit with a summary of what committed, which its triggers filter before it reads anything: none of them matches a status post, so none reads
on its notify — an agent reads only to keep its cursor within 200 ruled-out commits of the log, one page each time);
the runtime's CPU (workerd's user + system time) per commit is the cost of notifying them${requestsNote(subscribers)}.

${table(["subscribers", "n", "socket p50 ms", "socket p99 ms", "runtime CPU ms per commit"], [[0, subscribers.without.n, ms(subscribers.without.p50), ms(subscribers.without.p99), f(subscribers.without.cpuMsPerCommit, 1)], [subscribers.count, subscribers.with.n, ms(subscribers.with.p50), ms(subscribers.with.p99), f(subscribers.with.cpuMsPerCommit, 1)]])}

Notifying ${subscribers.count} agents costs ${f(subscribers.notifyCpuMsPerCommit, 1)} ms of runtime CPU per commit (every agent's run included); the socket's p99 is ${f(subscribers.p99Ratio, 2)}× what it is with none. ${load}
`);
}

/** The agents' own request count, when the run has it (runs before the notify hint did not count). */
function requestsNote(subscribers) {
  const n = subscribers.with.agentRequestsPerCommit;
  return n === undefined ? "" : `, and the agents made ${n} requests to the space per commit between them (each agent counts its own; these are those cursor catch-ups, the earliest joiners having been notified of every later join)`;
}
