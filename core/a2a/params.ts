/**
 * The shapes an agent accepts at its door, as zod schemas, checked before the SDK sees a
 * request (its ProtoJSON decoders turn anything into defaults: `"parts": "x"` becomes an
 * empty list, `"role": "user"` an unrecognized enum). A refusal is the SDK's
 * RequestMalformedError, which both bindings answer as invalid params (-32602 / HTTP 400).
 * Objects are loose: unrecognized fields are ignored, as the spec asks (§5.7).
 */
import { RequestMalformedError } from "@a2a-js/sdk/errors";
import { z } from "zod";

const ID_MAX = 256;
const id = z.string().min(1).max(ID_MAX);

const part = z.looseObject({
  text: z.string().optional(),
  raw: z.string().optional(),
  url: z.string().optional(),
  data: z.unknown().optional(),
  mediaType: z.string().max(255).optional(),
  filename: z.string().max(1024).optional(),
}).refine((p) => ["text", "raw", "url", "data"].filter((k) => p[k] !== undefined).length === 1, {
  message: "a part has exactly one of text, raw, url or data",
});

const message = z.looseObject({
  messageId: id,
  role: z.union([z.enum(["ROLE_USER", "ROLE_AGENT"]), z.literal(1), z.literal(2)]),
  parts: z.array(part).min(1).max(100),
  contextId: z.string().max(ID_MAX).optional(),
  taskId: z.string().max(ID_MAX).optional(),
});

/**
 * A ProtoJSON `google.protobuf.Timestamp`: RFC 3339 with a "Z" or an offset. The SDK's
 * decoder would read "-1" as an invalid Date and the store then match nothing; refused here.
 */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;
export const isTimestamp = (text: string) => TIMESTAMP.test(text) && Number.isFinite(Date.parse(text));
const timestamp = z.string().refine(isTimestamp, { message: 'an RFC 3339 time such as "2026-01-01T00:00:00Z"' });
/** An int32 in [min, max], as ProtoJSON writes it: a number or a decimal string. */
const int = (min: number, max: number) => z.union([z.number(), z.string().regex(/^-?\d+$/).transform(Number)]).pipe(z.number().int().min(min).max(max));
/** "The maximum number of messages": a count, so never negative (the SDK would read -1 as "none"). */
const historyLength = int(0, 2 ** 31 - 1).optional();

const sendParams = z.looseObject({ message, configuration: z.looseObject({ historyLength }).optional() });
const taskParams = z.looseObject({ id });
const getParams = z.looseObject({ id, historyLength });
const listParams = z.looseObject({
  historyLength,
  statusTimestampAfter: timestamp.optional(),
  pageSize: int(1, 100).optional(),
});

/** Methods whose params are checked here; the SDK checks the rest. */
const SCHEMAS: Record<string, z.ZodType> = {
  SendMessage: sendParams,
  SendStreamingMessage: sendParams,
  GetTask: getParams,
  ListTasks: listParams,
  CancelTask: taskParams,
  SubscribeToTask: taskParams,
};

/** Throws RequestMalformedError, naming the first bad field, when `params` does not fit `method`. */
export function checkParams(method: string, params: unknown): void {
  const schema = SCHEMAS[method];
  if (schema === undefined) return;
  const checked = schema.safeParse(params);
  if (checked.success) return;
  const issue = checked.error.issues[0];
  const where = issue?.path.length ? issue.path.join(".") : "params";
  throw new RequestMalformedError(`Invalid params for ${method}: ${where}: ${issue?.message ?? "invalid"}.`);
}
