/**
 * 4. catch-up (not yet measured): a node that was offline reconnects and receives 10k
 * edits it missed; target ≤ 1 s. Needs the local node's edge↔node sync (client/), which
 * landed while this suite was being built. To add it, export `run({ quick, log })` here returning
 * `{ params, summary: { edits, catchUpMs } }`; the page's target row reads `summary`.
 */
export const name = "catch-up";
export const title = "Catch-up: 10k missed edits after reconnecting";
export const notYet = "not written yet: it needs the local node's edge↔node sync, which landed in the repo while this suite was being built (the module is the next step)";
