/**
 * The one boundary error type. Domain code throws `CommonsError` with a stable `code`
 * (machine-readable, documented), an HTTP status and a JSON-RPC code, and a message that
 * tells the user what to do next. Routes and socket handlers translate it; nothing else
 * needs to know about HTTP.
 */

export interface CommonsErrorOptions {
  /** HTTP status used when this error crosses an HTTP boundary. Default 400. */
  status?: number;
  /** JSON-RPC error code used when it crosses a JSON-RPC boundary. Default -32602 (invalid params). */
  rpcCode?: number;
  cause?: unknown;
}

export class CommonsError extends Error {
  override readonly name = "CommonsError";
  readonly status: number;
  readonly rpcCode: number;

  constructor(
    readonly code: string,
    message: string,
    options: CommonsErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status ?? 400;
    this.rpcCode = options.rpcCode ?? -32602;
  }

  /** The JSON body every HTTP route answers with on error. */
  toJSON(): ErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

export interface ErrorBody {
  error: { code: string; message: string };
}

export function isCommonsError(value: unknown): value is CommonsError {
  return value instanceof CommonsError;
}
