/**
 * A branch's text in Yjs (core/yjs/branch-text.ts): two nodes edit the same branch text
 * concurrently in their own Yjs documents, exchange updates and converge, each edit kept
 * once; the log records versions (SHA-256 of the text), never the text; 2 of 3 approvals
 * promote the branch, and every replica — the sequencer's state and a fold from scratch,
 * each with its own Yjs copy — renders the same current version from the branch's key,
 * while the branch stays readable as history.
 */
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { EnvelopeId } from "../../../core/log/ids.js";
import { buildView } from "../../../core/views/build.js";
import { branchKey, editText, renderArtifact, renderStaged, textVersion } from "../../../core/yjs/branch-text.js";
import { coalitionSpace, incidentTeam } from "./coalition-fixtures.js";

/** Sends each document what the other lacks (what a sync does), both ways. */
function exchange(a: Y.Doc, b: Y.Doc): void {
  const toB = Y.encodeStateAsUpdate(a, Y.encodeStateVector(b));
  const toA = Y.encodeStateAsUpdate(b, Y.encodeStateVector(a));
  Y.applyUpdate(b, toB);
  Y.applyUpdate(a, toA);
}

const BASE = "1. drain the bad node\n2. restart the pods\n3. watch the error rate\n";
const MERGED = "1. drain the bad node first (cordon it)\n2. restart the pods\n3. watch the error rate for 10 minutes\n";

describe("branch text in Yjs", () => {
  it("two nodes edit one branch text concurrently and converge; after 2-of-3 promotion every replica renders the same current version", async () => {
    const space = await coalitionSpace();
    const { coalition } = await incidentTeam(space, 2);
    const artifact = await space.write(space.bob, "artifact.created", { title: "checkout runbook", content: { inline: "restart the pods" } });
    const branch = await space.write(space.carol, "branch.created", { name: "runbook-fix", coalition });
    await space.commit();
    const key = branchKey(branch, artifact);

    // Carol's node writes the first text; dave's node syncs it.
    const carols = new Y.Doc();
    const daves = new Y.Doc();
    editText(carols.getText(key), BASE);
    exchange(carols, daves);
    // Offline from each other: carol edits step 1, dave step 3; each stages what it sees.
    editText(carols.getText(key), BASE.replace("bad node", "bad node first (cordon it)"));
    editText(daves.getText(key), BASE.replace("error rate", "error rate for 10 minutes"));
    const staged = [
      await space.write(space.carol, "branch.updated", { branch, artifact, content: { ydoc: key }, version: await textVersion(carols.getText(key).toString()) }),
      await space.write(space.dave, "branch.updated", { branch, artifact, content: { ydoc: key }, version: await textVersion(daves.getText(key).toString()) }),
    ];
    exchange(carols, daves);
    // Converged, each edit once (no replica copied the text anywhere).
    expect(carols.getText(key).toString()).toBe(MERGED);
    expect(daves.getText(key).toString()).toBe(MERGED);

    // The version staged last in commit order is the one a promotion makes current; staged
    // before the merge it differs from the text now, and a reader can tell.
    let verdicts = await space.commit();
    for (const id of staged) expect(verdicts.get(id)?.verdict).toBe("accepted");
    const before = space.sequencer.committed().branches.get(branch)!.staged![artifact]!;
    expect((await renderStaged(carols, before)).matches).toBe(false);
    // So carol stages the merged text, then dave and erin approve (2 of 3).
    const merged = await space.write(space.carol, "branch.updated", { branch, artifact, content: { ydoc: key }, version: await textVersion(MERGED), note: "both fixes" });
    await space.write(space.dave, "coalition.voted", { coalition, epoch: 1, motion: "promote", branch });
    const second = await space.write(space.erin, "coalition.voted", { coalition, epoch: 1, motion: "promote", branch });
    verdicts = await space.commit();
    expect(verdicts.get(merged)?.verdict).toBe("accepted");
    expect(verdicts.get(second)?.verdict).toBe("accepted");

    const committed = space.sequencer.committed();
    expect(committed.branches.get(branch)).toMatchObject({ status: "merged", promotedBy: second });
    expect(committed.artifacts.get(artifact)).toMatchObject({ content: { ydoc: key }, versions: [artifact, merged] });
    // Every replica: the sequencer's state and a fold from scratch, over carol's, dave's and a third Yjs copy.
    const fresh = new Y.Doc();
    exchange(carols, fresh);
    const refolded = buildView(space.replica.since(0)).committed;
    const expected = { text: MERGED, source: "yjs", version: await textVersion(MERGED), matches: true, branch };
    for (const [state, doc] of [[committed, carols], [committed, daves], [refolded, fresh]] as const) {
      expect(await renderArtifact(state, doc, state.artifacts.get(artifact)!)).toEqual(expected);
    }
    // The branch is history: still readable, and staged no more.
    expect(await renderStaged(fresh, refolded.branches.get(branch)!.staged![artifact]!)).toMatchObject({ text: MERGED, matches: true });
    const late = await space.write(space.carol, "branch.updated", { branch, artifact, content: { ydoc: key }, version: await textVersion("other") });
    expect((await space.commit()).get(late)?.reason).toMatch(/already merged: start a new branch/);
    // An edit to the branch's text after promotion does not pass for the promoted version.
    editText(daves.getText(key), `${MERGED}4. page the owner\n`);
    expect(await renderArtifact(committed, daves, committed.artifacts.get(artifact)!)).toMatchObject({ matches: false, version: expected.version });
  });

  it("a Yjs staging names its own branch key and a version; an inline one (older envelopes) renders as it was", async () => {
    const space = await coalitionSpace();
    const artifact = await space.write(space.bob, "artifact.created", { title: "notes", content: { inline: "v1" } });
    const branch = await space.write(space.bob, "branch.created", { name: "notes-fix" });
    const other: EnvelopeId = artifact;
    const version = await textVersion("v2");
    await expect(space.write(space.carol, "branch.updated", { branch, artifact, content: { ydoc: branchKey(other, artifact) }, version })).rejects.toThrow(/lives under branch\/<branch>\/<artifact>/);
    await expect(space.write(space.carol, "branch.updated", { branch, artifact, content: { ydoc: branchKey(branch, artifact) } })).rejects.toThrow(/names its version/);
    await expect(space.write(space.carol, "branch.updated", { branch, artifact, content: { inline: "v2" }, version })).rejects.toThrow(/an inline one names none/);
    await expect(space.write(space.carol, "branch.updated", { branch, artifact, content: { ydoc: branchKey(branch, artifact) }, version: "sha256:beef" })).rejects.toThrow(/64 hex digits/);

    const inline = await space.write(space.bob, "branch.updated", { branch, artifact, content: { inline: "v2" } });
    const promoted = await space.write(space.bob, "branch.merged", { branch });
    const verdicts = await space.commit();
    expect([verdicts.get(inline)?.verdict, verdicts.get(promoted)?.verdict]).toEqual(["accepted", "accepted"]);
    const state = space.sequencer.committed();
    expect(await renderArtifact(state, new Y.Doc(), state.artifacts.get(artifact)!)).toEqual({ text: "v2", source: "inline" });
  });
});
