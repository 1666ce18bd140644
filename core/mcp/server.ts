/**
 * Builds the space's MCP server (official SDK v2) for one verified caller: every tool in
 * TOOLS, each call routed through `runTool`. Transport-agnostic: the SpaceDO serves it over
 * Streamable HTTP, `commons mcp` over stdio.
 */
import { McpServer } from "@modelcontextprotocol/server";
import { runTool, type ToolOutcome } from "./run-tool.js";
import type { Caller, ToolHost } from "./tool-host.js";
import { TOOLS } from "./tools.js";

export const SERVER_INFO = { name: "commons-space", version: "0.1.0" };

export function buildSpaceMcpServer(host: ToolHost, caller: Caller): McpServer {
  const server = new McpServer(SERVER_INFO, {
    instructions:
      `You are in the Commons space "${host.space}" as ${caller.did}. Read the channel (query_channel), pick work in your domain, ` +
      "announce with claim_work_item before you start, and post results. Some calls need a human: they return pending_approval; carry on.",
  });
  for (const tool of TOOLS) {
    server.registerTool(
      tool.name,
      { description: tool.description, inputSchema: tool.input },
      async (args: Record<string, unknown>) => toCallResult(await runTool(host, caller, tool, args)),
    );
  }
  return server;
}

/** The MCP result for an outcome: refusals are tool errors the model can read, never protocol errors. */
export function toCallResult(outcome: ToolOutcome) {
  switch (outcome.kind) {
    case "done":
      return { content: [{ type: "text" as const, text: outcome.result.text }], structuredContent: { status: "success", ...outcome.result.structured } };
    case "pending":
      return {
        content: [{ type: "text" as const, text: outcome.message }],
        structuredContent: { status: "pending_approval", approval: outcome.approval, approver: outcome.approver, queued: outcome.queued },
      };
    case "refused":
      return {
        isError: true,
        content: [{ type: "text" as const, text: `${outcome.code}: ${outcome.message}` }],
        structuredContent: { status: "rejected", code: outcome.code, reason: outcome.message },
      };
  }
}
