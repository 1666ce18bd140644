/**
 * The registry of envelope types: one zod body schema per type. A type not listed here is
 * rejected (`envelope-unknown-type`); adding a type is adding a line here and a fold in
 * `core/views/`.
 */
import type { z } from "zod";
import { approvalDecidedBody, approvalRequestedBody } from "./approval.js";
import { authorityGrantedBody, authorityRevokedBody, budgetSpentBody } from "./authority.js";
import { channelMessageBody } from "./channel.js";
import {
  branchUpdatedBody, coalitionDissolvedBody, coalitionFormedBody, coalitionJoinedBody, coalitionLeftBody, coalitionSpentBody, coalitionVotedBody,
} from "./coalition.js";
import { inviteCreatedBody, inviteRevokedBody, memberJoinedBody } from "./invite.js";
import {
  artifactCreatedBody, artifactUpdatedBody, branchAbandonedBody, branchCreatedBody, branchMergedBody, traceRecordedBody,
} from "./records.js";
import {
  commitBody, memberAddedBody, memberRemovedBody, policySetBody, sequencerAppointedBody, spaceConfiguredBody, spaceCreatedBody, viewDefinedBody,
} from "./space.js";
import { workAwardedBody, workBidBody, workBidsCalledBody } from "./market.js";
import { workClaimedBody, workCompletedBody, workCreatedBody, workReleasedBody, workUpdatedBody } from "./work.js";

export const ENVELOPE_BODY_SCHEMAS = {
  "space.created": spaceCreatedBody,
  "space.configured": spaceConfiguredBody,
  "member.added": memberAddedBody,
  "member.removed": memberRemovedBody,
  "invite.created": inviteCreatedBody,
  "invite.revoked": inviteRevokedBody,
  "member.joined": memberJoinedBody,
  "policy.set": policySetBody,
  "view.defined": viewDefinedBody,
  "channel.message": channelMessageBody,
  "work.created": workCreatedBody,
  "work.claimed": workClaimedBody,
  "work.released": workReleasedBody,
  "work.updated": workUpdatedBody,
  "work.completed": workCompletedBody,
  "work.bids_called": workBidsCalledBody,
  "work.bid": workBidBody,
  "work.awarded": workAwardedBody,
  "approval.requested": approvalRequestedBody,
  "approval.decided": approvalDecidedBody,
  "artifact.created": artifactCreatedBody,
  "artifact.updated": artifactUpdatedBody,
  "branch.created": branchCreatedBody,
  "branch.merged": branchMergedBody,
  "branch.abandoned": branchAbandonedBody,
  "branch.updated": branchUpdatedBody,
  "coalition.formed": coalitionFormedBody,
  "coalition.joined": coalitionJoinedBody,
  "coalition.left": coalitionLeftBody,
  "coalition.dissolved": coalitionDissolvedBody,
  "coalition.spent": coalitionSpentBody,
  "coalition.voted": coalitionVotedBody,
  "trace.recorded": traceRecordedBody,
  "authority.granted": authorityGrantedBody,
  "authority.revoked": authorityRevokedBody,
  "budget.spent": budgetSpentBody,
  "commit": commitBody,
  "sequencer.appointed": sequencerAppointedBody,
} as const;

export type EnvelopeType = keyof typeof ENVELOPE_BODY_SCHEMAS;
export type BodyOf<T extends EnvelopeType> = z.output<(typeof ENVELOPE_BODY_SCHEMAS)[T]>;

export const ENVELOPE_TYPES = Object.keys(ENVELOPE_BODY_SCHEMAS) as EnvelopeType[];

export function isEnvelopeType(type: string): type is EnvelopeType {
  return Object.hasOwn(ENVELOPE_BODY_SCHEMAS, type);
}

/** Types the sequencer never commits: its own receipts and the hand-over of its role. */
export const SEQUENCER_META_TYPES: ReadonlySet<EnvelopeType> = new Set(["commit", "sequencer.appointed"]);

export type { Approver, Tier, Visibility } from "./common.js";
