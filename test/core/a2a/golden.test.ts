/**
 * A2A payloads frozen (STYLE.md, golden vectors): a fixed key, profile and base URL give a
 * fixed signed card; a fixed caller and time a fixed agent token; a fixed turn through the
 * executor and the SQL task store a fixed stored task (ProtoJSON). Ed25519 is
 * deterministic, so the signatures are literals too: a change to the card's fields, its
 * canonical form, the JWS header, the claims or the task encoding is a visible diff here —
 * and would break every cached card, outstanding token or stored task in the field.
 */
import { Role, Task, type Message } from "@a2a-js/sdk";
import { DefaultExecutionEventBus, RequestContext, ResultManager, ServerCallContext, type AgentExecutionEvent } from "@a2a-js/sdk/server";
import { describe, expect, it } from "vitest";
import { NodeSql } from "../../../client/node/sqlite.js";
import { CallerUser } from "../../../core/a2a/caller.js";
import { buildAgentCard, signAgentCard, verifyAgentCard } from "../../../core/a2a/card.js";
import { echoBrain } from "../../../core/a2a/echo-brain.js";
import { BrainExecutor } from "../../../core/a2a/executor.js";
import type { AgentName } from "../../../core/a2a/name.js";
import { SqlTaskStore, TASK_TABLES } from "../../../core/a2a/task-store.js";
import { issueAgentCapability, verifyAgentCapability } from "../../../core/auth/capability.js";
import type { Did } from "../../../core/identity/did.js";
import { Ed25519Signer } from "../../../core/identity/signer.js";
import { seed } from "../log/fixtures.js";

/** 2026-01-01T00:00:00Z. */
const T0 = Date.UTC(2026, 0, 1);
const AGENT = "did:key:z6MkvDqGT54cXesYGvABpF1UapVNwjCqRcafi4Px6Thv5T3Z";
const CALLER = "did:key:z6Mkfmm57fsb6VL7zVusP8zeA9SYkCKdvUhby2G7Yh8vvQ1P";
/** The card for ops-bot at https://edge.example with domains ops and certs, signed. */
const CARD =
  `{"name":"ops-bot","description":"Commons agent \\"ops-bot\\" (${AGENT}).","supportedInterfaces":[{"u` +
  `rl":"https://edge.example/agents/ops-bot","protocolBinding":"JSONRPC","protocolVersion":"1.0"},{"url` +
  `":"https://edge.example/agents/ops-bot","protocolBinding":"HTTP+JSON","protocolVersion":"1.0"}],"pro` +
  `vider":{"organization":"Commons","url":"https://edge.example"},"version":"0.1.0","capabilities":{"st` +
  `reaming":true,"pushNotifications":false,"extendedAgentCard":false,"extensions":[{"uri":"urn:commons:` +
  `a2a:did-key:v1","description":"The agent's did:key: the key this card is signed with, and the audien` +
  `ce of the capabilities it accepts (aud commons:agent:<did>).","required":false,"params":{"did":"` +
  `${AGENT}"}}]},"securitySchemes":{"commons-capability":{"httpAuthSecurityScheme":{"scheme":"Bearer","` +
  `bearerFormat":"JWT","description":"A self-issued Commons capability: an EdDSA JWT with aud commons:a` +
  `gent:<the agent's did>, signed by the caller's own key (the CLI's \`commons a2a\` makes one per call` +
  `)."}}},"securityRequirements":[{"schemes":{"commons-capability":{"list":[]}}}],"defaultInputModes":[` +
  `"text/plain"],"defaultOutputModes":["text/plain"],"skills":[{"id":"ops","name":"ops","description":"` +
  `Work in the ops domain.","tags":["ops"]},{"id":"certs","name":"certs","description":"Work in the cer` +
  `ts domain.","tags":["certs"]}],"signatures":[{"protected":"eyJhbGciOiJFZERTQSIsInR5cCI6IkpPU0UiLCJra` +
  `WQiOiJkaWQ6a2V5Ono2TWt2RHFHVDU0Y1hlc1lHdkFCcEYxVWFwVk53akNxUmNhZmk0UHg2VGh2NVQzWiN6Nk1rdkRxR1Q1NGNYZ` +
  `XNZR3ZBQnBGMVVhcFZOd2pDcVJjYWZpNFB4NlRodjVUM1oifQ","signature":"AxFrUaRRtJzPwMAceV5CI2JyJz0FG8h32bU8` +
  `i5jjg4CSeL6rEqLJsqjNDQyGIFgk4GcHHU7F3GSYkm2SSdNnAA"}]}`;
/** The caller's token for the agent: every method, one hour from T0. */
const TOKEN =
  "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCIsImtpZCI6IkU5MTZYVGpKQ0s4MnZBaWJFR0doQjNsRFY3d0FOdmxMZnhpQ05UcWZv" +
  "X2MifQ.eyJpc3MiOiJkaWQ6a2V5Ono2TWtmbW01N2ZzYjZWTDd6VnVzUDh6ZUE5U1lrQ0tkdlVoYnkyRzdZaDh2dlExUCIsInN1Y" +
  "iI6ImRpZDprZXk6ejZNa2ZtbTU3ZnNiNlZMN3pWdXNQOHplQTlTWWtDS2R2VWhieTJHN1loOHZ2UTFQIiwiYXVkIjoiY29tbW9uc" +
  "zphZ2VudDpkaWQ6a2V5Ono2TWt2RHFHVDU0Y1hlc1lHdkFCcEYxVWFwVk53akNxUmNhZmk0UHg2VGh2NVQzWiIsImp0aSI6Imdvb" +
  "GRlbi1hZ2VudC0wMDAxIiwidG9vbHMiOlsiKiJdLCJ0aWVyIjoxLCJuYmYiOjE3NjcyMjU2MDAsImV4cCI6MTc2NzIyOTIwMCwia" +
  "WF0IjoxNzY3MjI1NjAwLCJlcG9jaCI6MH0.CosguB09e8SFHwiY8cFUX1E5YhoCOrSbqR5JcADvZjcCwSHP__l1QQEfwB6MJ0km2" +
  "WnJ0fU50gb7WEDua3gOAw";
/** A default turn (echo) and a tck-artifact-text turn, as stored. */
const ECHO_TASK =
  `{"id":"task-echo","contextId":"ctx-golden","status":{"state":"TASK_STATE_COMPLETED","message":{"mess` +
  `ageId":"msg-0","contextId":"ctx-golden","taskId":"task-echo","role":"ROLE_AGENT","parts":[{"text":"e` +
  `cho: rotate the cert","mediaType":"text/plain"}]},"timestamp":"2026-01-01T00:00:02.000Z"},"history":` +
  `[{"messageId":"golden-echo","contextId":"ctx-golden","taskId":"task-echo","role":"ROLE_USER","parts"` +
  `:[{"text":"rotate the cert"}]},{"messageId":"msg-0","contextId":"ctx-golden","taskId":"task-echo","r` +
  `ole":"ROLE_AGENT","parts":[{"text":"echo: rotate the cert","mediaType":"text/plain"}]}],"metadata":{` +
  `"commons.caller":"${CALLER}"}}`;
const ARTIFACT_TASK =
  `{"id":"task-artifact","contextId":"ctx-golden","status":{"state":"TASK_STATE_COMPLETED","timestamp":` +
  `"2026-01-01T00:00:04.000Z"},"artifacts":[{"artifactId":"task-artifact:text","name":"text","parts":[{` +
  `"text":"Generated text content","mediaType":"text/plain"}]}],"history":[{"messageId":"tck-artifact-t` +
  `ext-golden","contextId":"ctx-golden","taskId":"task-artifact","role":"ROLE_USER","parts":[{"text":"r` +
  `otate the cert"}]}],"metadata":{"commons.caller":"${CALLER}"}}`;

const keys = async () => ({ agent: await Ed25519Signer.fromSeed(seed(7)), caller: await Ed25519Signer.fromSeed(seed(8)) });

describe("A2A golden vectors", () => {
  it("a signed card", async () => {
    const { agent } = await keys();
    expect(agent.did).toBe(AGENT);
    const card = buildAgentCard({ name: "ops-bot" as AgentName, did: agent.did, description: "", domains: ["ops", "certs"] }, "https://edge.example/agents/ops-bot", echoBrain.skill);
    expect(JSON.stringify(await signAgentCard(card, agent))).toBe(CARD);
    expect(await verifyAgentCard(JSON.parse(CARD))).toBe(AGENT);
  });

  it("an agent token", async () => {
    const { agent, caller } = await keys();
    expect(caller.did).toBe(CALLER);
    expect(await issueAgentCapability(caller, { agent: agent.did, jti: "golden-agent-0001", now: T0 })).toBe(TOKEN);
    expect(await verifyAgentCapability(TOKEN, { agent: AGENT as Did, now: T0 + 120_000 })).toEqual({ caller: CALLER, jti: "golden-agent-0001", methods: ["*"], expiresAt: T0 + 3_600_000 });
  });

  it("a stored task", async () => {
    const { caller } = await keys();
    const sql = new NodeSql();
    for (const statement of TASK_TABLES) sql.exec(statement);
    const context = new ServerCallContext({ user: new CallerUser(caller.did, "golden-agent-0001", ["*"]), requestedVersion: "1.0" });
    let tick = 0;
    let id = 0;
    const executor = new BrainExecutor(echoBrain, { clock: () => new Date(T0 + 1000 * tick++), newId: () => `msg-${id++}` });
    const store = new SqlTaskStore(sql, { now: () => T0 });
    /** One turn through the executor into the store, as the SDK's handler runs it; the stored body. */
    const turn = async (messageId: string, taskId: string) => {
      const message: Message = {
        messageId, contextId: "ctx-golden", taskId, role: Role.ROLE_USER,
        parts: [{ content: { $case: "text", value: "rotate the cert" }, mediaType: "", filename: "", metadata: undefined }],
        metadata: undefined, extensions: [], referenceTaskIds: [],
      };
      const results = new ResultManager(store, context);
      results.setContext(message);
      const bus = new DefaultExecutionEventBus();
      const events: AgentExecutionEvent[] = [];
      bus.on("event", (event) => events.push(event));
      await executor.execute(new RequestContext({ tenant: "", message, configuration: undefined, metadata: undefined }, taskId, "ctx-golden", context), bus);
      for (const event of events) await results.processEvent(event);
      return sql.exec<{ body: string }>("SELECT body FROM a2a_tasks WHERE id = ?", taskId)[0]!.body;
    };
    expect(await turn("golden-echo", "task-echo")).toBe(ECHO_TASK);
    expect(await turn("tck-artifact-text-golden", "task-artifact")).toBe(ARTIFACT_TASK);
    // What is stored decodes to the same task: the store's round trip loses nothing.
    for (const body of [ECHO_TASK, ARTIFACT_TASK]) expect(JSON.stringify(Task.toJSON(Task.fromJSON(JSON.parse(body))))).toBe(body);
  });
});
