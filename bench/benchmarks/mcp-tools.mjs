/**
 * 8. mcp-tools: MCP tool calls at the edge (`POST /s/:space/mcp`, one JSON-RPC `tools/call`
 * per request, stateless, a self-issued owner's bearer token) on spaces of 1k and 100k
 * committed envelopes (1M with --million), built by bench/lib/big-space.mjs with the same
 * committed state at every size.
 *
 * Tools: `get_space_state` (the whole committed state), `post_message` (the tool host signs
 * a message, the sequencer commits it, inside the request), `query_channel` with
 * `limit: 10` from a random cursor. After untimed warm-up calls on every space, rounds of
 * one call of each tool on each space, one at a time, the sizes' order alternating.
 *
 * Target: flat, 1M ÷ 1k ≤ 1.3× (p50 and p99); the normal run reports 100k ÷ 1k against it.
 */
import { ensureSpaces, label, startBigEdge, tokenFor } from "../lib/big-space.mjs";
import { othersLoad } from "../lib/machine.mjs";
import { percentile } from "../lib/stats.mjs";

export const name = "mcp-tools";
export const title = "MCP tool calls at 1k, 100k (and 1M) committed envelopes";

export const TOOLS = ["get_space_state", "post_message", "query_channel"];

async function call(edge, space, token, tool, args, id) {
  const t0 = performance.now();
  const res = await fetch(`${edge.http}/s/${space}/mcp`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name: tool, arguments: args } }),
  });
  const text = await res.text();
  const ms = performance.now() - t0;
  const json = text.startsWith("{") ? text : text.split("\n").find((line) => line.startsWith("data:"))?.slice(5);
  const answer = json ? JSON.parse(json) : null;
  if (!res.ok || !answer?.result || answer.result.isError) throw new Error(`${tool} on ${space}: ${res.status} ${text.slice(0, 300)}`);
  return { ms, result: answer.result };
}

const argsFor = (tool, count, r) =>
  tool === "post_message" ? { content: `bench call ${r}` } : tool === "query_channel" ? { since: Math.floor(Math.random() * count), limit: 10 } : {};

export async function run({ quick, million = false, log }) {
  const load = othersLoad();
  const sizes = quick ? [1_000, 10_000] : million ? [1_000, 100_000, 1_000_000] : [1_000, 100_000];
  const rounds = quick ? 40 : 200;
  const warmup = 10;
  const edge = await startBigEdge();
  try {
    const spaces = await ensureSpaces(sizes, { edge, log });
    const cells = [];
    for (const info of spaces) {
      const token = await tokenFor(info);
      const times = Object.fromEntries(TOOLS.map((t) => [t, []]));
      cells.push({ info, token, times, id: 0 });
      for (let r = 0; r < warmup; r++) for (const tool of TOOLS) await call(edge, info.space, token, tool, argsFor(tool, info.count, r), ++cells.at(-1).id);
    }
    // The state a call returns is the same at every size (checked once per space).
    const shapes = [];
    for (const c of cells) {
      const { result } = await call(edge, c.info.space, c.token, "get_space_state", {}, ++c.id);
      const s = result.structuredContent;
      shapes.push({ n: c.info.n, members: s.members.length, work: s.work.length, approvals: s.approvals.length, policies: s.policies.length, bytes: JSON.stringify(s).length });
    }
    for (let r = 0; r < rounds; r++) {
      for (const c of r % 2 ? [...cells].reverse() : cells) {
        for (const tool of TOOLS) {
          const { ms } = await call(edge, c.info.space, c.token, tool, argsFor(tool, c.info.count, r), ++c.id);
          c.times[tool].push(ms);
        }
      }
    }
    const results = cells.map((c) => ({
      n: c.info.n,
      envelopes: c.info.count,
      tools: Object.fromEntries(TOOLS.map((tool) => {
        const sorted = [...c.times[tool]].sort((a, b) => a - b);
        return [tool, { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1), n: sorted.length }];
      })),
    }));
    const small = results[0];
    for (const r of results.slice(1)) {
      log(`mcp-tools: ${label(r.n)} ÷ ${label(small.n)}: ${TOOLS.map((t) => `${t} p50 ${(r.tools[t].p50 / small.tools[t].p50).toFixed(2)}× p99 ${(r.tools[t].p99 / small.tools[t].p99).toFixed(2)}×`).join("; ")}`);
    }
    for (const r of results) log(`mcp-tools: ${label(r.n)}: ${TOOLS.map((t) => `${t} ${r.tools[t].p50.toFixed(1)} / ${r.tools[t].p99.toFixed(1)} ms`).join(", ")}`);
    return {
      machine: load.stop(),
      params: { sizes, rounds, warmup, queryLimit: 10, oneMillion: million ? "run (--million)" : "not run in this pass (building a 1M-envelope space takes about 12 minutes): `npm run bench -- mcp-tools --million`" },
      spaces: spaces.map((s) => ({ n: s.n, envelopes: s.count, frontier: s.frontier, buildSeconds: s.buildSeconds, postedPerS: s.postedPerS, rejected: s.rejected })),
      shapes,
      results,
    };
  } finally {
    await edge.stop();
  }
}
