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
