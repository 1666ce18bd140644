/**
 * `commons space`: a space's settings. `show` reads them from the committed view;
 * `visibility private|public-read` (owners) writes `space.configured` and syncs it, so the
 * edge's door changes as soon as the sequencer commits it: `private` (the default) lets
 * members only read; `public-read` lets anyone read, and members only write.
 */
import type { SpaceId } from "../../../core/ids.js";
import type { Visibility } from "../../../core/log/types/index.js";
import { requireIdentity } from "../../node/identity.js";
import { open, say, shortDid } from "../common.js";
import { committedOf, publish, publishedCode, requireOwner, verdictText } from "../publish.js";
import { arity, bool, space, unknownAction, usage, type CommandSpec } from "../spec.js";

const VISIBILITIES: readonly Visibility[] = ["private", "public-read"];

type SpaceInput = { space: SpaceId; action: "show"; json: boolean } | { space: SpaceId; action: "visibility"; visibility: Visibility; json: boolean };

const spaceCommand: CommandSpec<SpaceInput> = {
  name: "space",
  summary: "Show a space's settings, or (owners) set who may read it: private or public-read",
  usage: ["space <space> [show] [--json]", "space <space> visibility private|public-read [--json]"],
  details: "private (the default): only members read. public-read: anyone may read the log and the document; only members write. The change takes effect once the sequencer commits it.",
  examples: ["commons space incident-42", "commons space incident-42 visibility public-read"],
  options: { json: { type: "boolean" } },
  actions: ["show", "visibility"],
  parse(positionals, values) {
    const name = space("space", positionals[0]);
    const action = positionals[1] ?? "show";
    if (action === "show") return arity("space", positionals, 1, 2), { space: name, action, json: bool(values, "json") };
    if (action !== "visibility") throw unknownAction("space", action, ["show", "visibility"]);
    arity("space", positionals, 3, 3);
    const visibility = positionals[2] as Visibility;
    if (!VISIBILITIES.includes(visibility)) throw usage("space", `Visibility is private or public-read, not "${positionals[2]}".`);
    return { space: name, action, visibility, json: bool(values, "json") };
  },
  async run(input, io) {
    if (input.action === "show") {
      return open(io, input.space, { lock: false }, (local) => {
        const state = committedOf(local);
        const owners = [...state.members.values()].filter((m) => m.role === "owner").map((m) => m.did);
        const shown = { space: input.space, visibility: state.visibility, owners, members: state.members.size, epoch: state.epoch, sequencer: state.sequencer ?? null };
        if (input.json) io.out(JSON.stringify(shown));
        else io.out(`${input.space}: ${shown.visibility}; ${shown.members} member(s), owners ${owners.map(shortDid).join(", ")}; membership epoch ${shown.epoch}; sequencer ${shortDid(shown.sequencer ?? "none")}`);
        return 0;
      });
    }
    const signer = await requireIdentity(io.home);
    return open(io, input.space, {}, async (local) => {
      requireOwner(local, signer.did, "change the space's visibility");
      const published = await publish(io, local, signer, [{ type: "space.configured", body: { visibility: input.visibility } }]);
      say(io, input.json, `${input.space} visibility ${input.visibility} [${verdictText(published.statuses[0]!)}]`, { space: input.space, visibility: input.visibility, id: published.ids[0], status: published.statuses[0] });
      return publishedCode(io, local, published);
    });
  },
};

export const spaceCommands = [spaceCommand] as CommandSpec[];
