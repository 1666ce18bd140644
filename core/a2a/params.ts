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

const sendParams = z.looseObject({ message });
const taskParams = z.looseObject({ id });

/** Methods whose params are checked here; the SDK checks the rest (ListTasks' bounds, …). */
const SCHEMAS: Record<string, z.ZodType> = {
  SendMessage: sendParams,
  SendStreamingMessage: sendParams,
  GetTask: taskParams,
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
