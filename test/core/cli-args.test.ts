/** The `commons` argument parser and URL/`--at` parsing, called directly (no process). */
import { describe, expect, it } from "vitest";
import { parseAt } from "../../client/cli/commands/channel.js";
import { COMMANDS, parseCommand } from "../../client/cli/registry.js";
import { parseRemote, parseSpaceUrl } from "../../client/node/remote.js";
import type { CommonsError } from "../../core/errors.js";

const DID = "did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw";

function fails(argv: string[]): CommonsError {
  try {
    parseCommand(argv);
  } catch (error) {
    return error as CommonsError;
  }
  throw new Error(`parseCommand(${JSON.stringify(argv)}) did not fail`);
}

describe("commons argument parsing", () => {
  it("parses good commands into typed input", () => {
    expect(parseCommand(["post", "incident-42", "hello", "--mention", DID, "--repeat", "3"])).toMatchObject({
      help: false, input: { space: "incident-42", texts: ["hello"], mentions: [DID], repeat: 3 },
    });
    expect(parseCommand(["join", "http://127.0.0.1:8787/s/incident-42/"])).toMatchObject({
      input: { space: "incident-42", http: "http://127.0.0.1:8787", ws: "ws://127.0.0.1:8787/s/incident-42" },
    });
    expect(parseCommand(["members", "x", "add", DID, "--role", "agent", "--domains", "ops, infra"])).toMatchObject({
      input: { action: "add", member: DID, role: "agent", domains: ["ops", "infra"] },
    });
    expect(parseCommand(["serve", "--port", "0"])).toMatchObject({ input: { port: 0, host: "127.0.0.1" } });
    expect(parseCommand(["work", "x"])).toMatchObject({ input: { action: "ls" } });
    expect(parseCommand(["sync"])).toMatchObject({ input: {} });
  });

  it("help: commons --help, help <cmd>, <cmd> --help; every command has a summary, usage and an example", () => {
    expect(parseCommand([])).toEqual({ help: true, spec: null });
    expect(parseCommand(["--help"])).toEqual({ help: true, spec: null });
    expect(parseCommand(["help", "post"])).toMatchObject({ help: true, spec: { name: "post" } });
    expect(parseCommand(["sync", "-h"])).toMatchObject({ help: true, spec: { name: "sync" } });
    for (const spec of COMMANDS) {
      expect(spec.summary.length).toBeGreaterThan(10);
      expect(spec.examples.length).toBeGreaterThan(0);
      expect(spec.examples.some((e) => e.includes(`commons ${spec.name}`))).toBe(true);
    }
  });

  it("refuses bad URLs, space names, flags and values with usage errors that say what to do", () => {
    const cases: Array<[string[], RegExp]> = [
      [["join"], /Missing argument\(s\): expected at least 1, got 0/],
      [["join", "localhost:8787/s/x"], /uses localhost: — use http\(s\):\/\//],
      [["join", "http://127.0.0.1:8787/x"], /names no space: space URLs end in \/s\/<space>/],
      [["join", "http://127.0.0.1:8787/s/x?role=observer"], /has a query or fragment/],
      [["join", "http://127.0.0.1:8787/s/Incident-42"], /not a valid space name.*Did you mean "incident-42"/s],
      [["post", "x"], /Missing argument/],
      [["post", "x", "a", "b"], /Too many arguments: "b"/],
      [["post", "x", "hi", "--repeat", "0"], /--repeat takes a whole number from 1/],
      [["post", "x", "hi", "--repeat", "2.5"], /--repeat takes a whole number/],
      [["post", "x", "hi", "--nope"], /Unknown option '--nope'/],
      [["log", "x", "--since", "-1"], /--since takes an arrival position|argument missing|ambiguous/],
      [["members", "x", "add", "bob", "--role", "human"], /"bob" is not a did:key/],
      [["members", "x", "add", DID, "--role", "king"], /--role must be one of owner, human, agent, observer/],
      [["work", "x", "fly"], /Unknown action "fly"/],
      [["doc", "x"], /Say what to do: cat or append/],
      [["replay", "x"], /--at is required/],
      [["replay", "x", "--at", "yesterday-ish"], /--at takes a commit index/],
      [["serve", "--port", "99999"], /--port takes a TCP port/],
      [["sync", "--edge", "http://h/s/x"], /--edge needs the space too/],
      [["peer", "nonsense"], /is not a URL/],
      [["teleport"], /Unknown command "teleport"/],
    ];
    for (const [argv, message] of cases) {
      const error = fails(argv);
      expect({ argv, code: error.code, status: error.status }).toEqual({ argv, code: "usage", status: 2 });
      expect(error.message).toMatch(message);
      expect(error.message).toMatch(/See: commons|commons --help/);
    }
  });

  it("space URLs: http/https/ws/wss, path prefixes, bare peer URLs", () => {
    expect(parseSpaceUrl("https://edge.example/base/s/a.b")).toEqual({ space: "a.b", http: "https://edge.example/base", ws: "wss://edge.example/base/s/a.b" });
    expect(parseSpaceUrl("ws://127.0.0.1:7878/s/x")).toEqual({ space: "x", http: "http://127.0.0.1:7878", ws: "ws://127.0.0.1:7878/s/x" });
    expect(parseRemote("ws://127.0.0.1:7878")).toEqual({ space: null, http: "http://127.0.0.1:7878", wsBase: "ws://127.0.0.1:7878" });
  });

  it("replay --at: commit index, time, cut", () => {
    expect(parseAt("42")).toEqual({ index: 42 });
    expect(parseAt("2026-01-01T00:00:00Z")).toEqual({ time: Date.parse("2026-01-01T00:00:00Z") });
    expect(parseAt(`${DID}=3`)).toEqual({ cut: { [DID]: 3 } });
    expect(parseAt(`{"${DID}":2}`)).toEqual({ cut: { [DID]: 2 } });
  });
});

describe("commons invite, join <invite-url>, policy, space: argument specs", () => {
  const INVITE = "http://127.0.0.1:8787/s/incident-42#invite=eyJpbnZpdGUiOiJzaGEyNTY6NWRiYjExNmEzNDI0MTAyYTU2ZDA5YjliMWVlZGRkM2FlMGY0Mzg4MGY3N2NiZTNhOTBhOGM5YTUwNWQ1MzRhYiIsImtleSI6IkNRa0pDUWtKQ1FrSkNRa0pDUWtKQ1FrSkNRa0pDUWtKQ1FrSkNRa0pDUWsiLCJzcGFjZSI6ImluY2lkZW50LTQyIiwidiI6MX0";

  it("parses into typed input, with the defaults (24h, 1 use)", () => {
    expect(parseCommand(["invite", "incident-42", "--role", "agent", "--domains", "ops, infra", "--expires", "7d", "--uses", "3", "--name", "bot"])).toMatchObject({
      input: { space: "incident-42", action: "create", role: "agent", domains: ["ops", "infra"], ttl: 7 * 86_400, uses: 3, name: "bot" },
    });
    expect(parseCommand(["invite", "x", "--role", "human"])).toMatchObject({ input: { action: "create", ttl: 86_400, uses: 1, domains: [] } });
    expect(parseCommand(["invite", "x", "--role", "observer", "--expires", "30m"])).toMatchObject({ input: { ttl: 1800 } });
    expect(parseCommand(["invite", "x", "ls", "--json"])).toMatchObject({ input: { action: "ls", json: true } });
    expect(parseCommand(["invite", "x", "revoke", "5dbb116a", "--reason", "sent to the wrong person"])).toMatchObject({ input: { action: "revoke", invite: "5dbb116a", reason: "sent to the wrong person" } });
    expect(parseCommand(["join", INVITE, "--name", "andy"])).toMatchObject({ input: { by: "invite", name: "andy", invite: { space: "incident-42", edge: "http://127.0.0.1:8787" } } });
    expect(parseCommand(["join", "http://127.0.0.1:8787/s/incident-42"])).toMatchObject({ input: { by: "url", space: "incident-42" } });
    expect(parseCommand(["policy", "x"])).toMatchObject({ input: { action: "show", json: false } });
    expect(parseCommand(["policy", "x", "set", "p.json"])).toMatchObject({ input: { action: "set", file: "p.json" } });
    expect(parseCommand(["policy", "x", "test", "create_work_item", "--as", "@george", "--args", '{"clock":"HF"}'])).toMatchObject({
      input: { action: "test", tool: "create_work_item", as: "@george", args: { clock: "HF" } },
    });
    expect(parseCommand(["space", "x", "visibility", "public-read"])).toMatchObject({ input: { action: "visibility", visibility: "public-read" } });
    expect(parseCommand(["space", "x"])).toMatchObject({ input: { action: "show" } });
  });

  it("refuses bad flags with usage errors that say what to do", () => {
    const cases: Array<[string[], RegExp]> = [
      [["invite", "x"], /--role is required: human, agent or observer/],
      [["invite", "x", "--role", "owner"], /an invite makes a human, agent or observer \(owners are added by an owner: `commons members <space> add <did> --role owner`\)/],
      [["invite", "x", "--role", "human", "--expires", "24"], /--expires takes a duration such as 30m, 24h or 7d/],
      [["invite", "x", "--role", "human", "--expires", "2y"], /--expires takes a duration/],
      [["invite", "x", "--role", "human", "--expires", "91d"], /out of range: an invite lives from 1m to 90d/],
      [["invite", "x", "--role", "human", "--expires", "30s"], /out of range/],
      [["invite", "x", "--role", "human", "--uses", "0"], /--uses takes a whole number from 1 to 1000/],
      [["invite", "x", "--role", "human", "--uses", "1001"], /--uses takes a whole number from 1 to 1000/],
      [["invite", "x", "--role", "human", "--domains", "ops,ops"], /names a domain twice/],
      [["invite", "x", "--role", "human", "--name", ""], /--name takes 1–200 characters/],
      [["invite", "x", "send"], /Unknown action "send"\. Use ls, revoke \(or give --role to create an invite\)/],
      [["invite", "x", "revoke"], /Missing argument/],
      [["join", `${INVITE.slice(0, -20)}`], /The invite's payload is damaged.*ask the owner to send the invite URL again/],
      [["join", INVITE.replace("/s/incident-42#", "/s/incident-7#")], /This invite is for space "incident-42" but the URL names "incident-7"/],
      [["join", "http://127.0.0.1:8787/s/x#notes"], /is not an invite URL/],
      [["join", "http://127.0.0.1:8787/s/x", "--name", "andy"], /--name goes with an invite URL/],
      [["policy", "x", "set"], /Missing the policy file/],
      [["policy", "x", "test"], /Missing the tool to test/],
      [["policy", "x", "test", "teleport", "--as", DID], /"teleport" is not a tool of this space: use one of post_message/],
      [["policy", "x", "test", "post_message"], /--as is required/],
      [["policy", "x", "test", "post_message", "--as", "george"], /neither a did:key .* nor @name/],
      [["policy", "x", "test", "post_message", "--as", DID, "--args", "{clock:HF}"], /--args is not JSON/],
      [["policy", "x", "test", "post_message", "--as", DID, "--args", "[1]"], /--args must be a JSON object/],
      [["policy", "x", "apply"], /Unknown action "apply"\. Use show, set, test/],
      [["space", "x", "visibility", "secret"], /Visibility is private or public-read, not "secret"/],
      [["space", "x", "rename"], /Unknown action "rename"/],
    ];
    for (const [argv, message] of cases) {
      const error = fails(argv);
      expect({ argv, code: error.code, status: error.status }).toEqual({ argv, code: "usage", status: 2 });
      expect(error.message).toMatch(message);
      expect(error.message).toMatch(/See: commons (invite|join|policy|space) --help/);
    }
  });
});
