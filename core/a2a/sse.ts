/**
 * Server-Sent Events for both bindings' streams, on web streams only. The first event is
 * awaited before anything is answered (`openStream`), so an error the handler raises up
 * front — task not found, a terminal task, bad params — is a plain error response and not a
 * half-open stream. The rest is written as it arrives; a client that goes away ends the
 * SDK's generator (and with it the event queue) through the stream's `cancel`.
 */
import { formatSSEErrorEvent, formatSSEEvent } from "@a2a-js/sdk";

/** The SDK's SSE_HEADERS without `Connection`, which workerd does not pass on. */
export const SSE_RESPONSE_HEADERS = { "Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no" } as const;

export type OpenedStream<T> = { first: IteratorResult<T, void>; events: AsyncGenerator<T, void, undefined> } | { error: unknown };

/** Pulls the first event; a throw becomes `{ error }` for the caller to answer as it likes. */
export async function openStream<T>(events: AsyncGenerator<T, void, undefined>): Promise<OpenedStream<T>> {
  try {
    return { first: await events.next(), events };
  } catch (error) {
    return { error };
  }
}

/**
 * The SSE body: the first event, then the rest, each through `encode`; an error after the
 * first event is written as an `event: error` frame (through `encodeError`) and ends it.
 */
export function sseBody<T>(
  opened: { first: IteratorResult<T, void>; events: AsyncGenerator<T, void, undefined> },
  encode: (event: T) => unknown,
  encodeError: (error: unknown) => unknown,
): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder();
  let first: IteratorResult<T, void> | null = opened.first;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = first ?? (await opened.events.next());
        first = null;
        if (next.done) return controller.close();
        controller.enqueue(bytes.encode(formatSSEEvent(encode(next.value))));
      } catch (error) {
        controller.enqueue(bytes.encode(formatSSEErrorEvent(encodeError(error))));
        controller.close();
      }
    },
    async cancel() {
      await opened.events.return(undefined);
    },
  });
}
