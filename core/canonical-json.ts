/**
 * RFC 8785 (JSON Canonicalization Scheme) serialization: the one byte form of a JSON value
 * that Commons hashes and signs. Two replicas that hold the same value always produce the
 * same bytes, so ids and signatures survive any re-encoding on the wire.
 *
 * - object keys sorted by UTF-16 code units (what `Array.prototype.sort` does for strings);
 * - numbers in ECMAScript `Number.prototype.toString` form (`-0` becomes `0`);
 * - strings escaped as `JSON.stringify` escapes them;
 * - no whitespace.
 *
 * Anything JSON cannot represent exactly is refused rather than silently dropped or
 * coerced (as `JSON.stringify` would): `undefined`, functions, symbols, bigints, NaN and
 * ±Infinity, lone UTF-16 surrogates, class instances (Date, Map, Uint8Array…), cycles and
 * nesting deeper than {@link CANONICAL_JSON_MAX_DEPTH}. A value that was signed is then
 * exactly the value that is verified.
 */
import { CommonsError } from "./errors.js";

/** Deeper nesting is refused so hostile input cannot exhaust the stack. */
export const CANONICAL_JSON_MAX_DEPTH = 64;

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Returns the RFC 8785 canonical JSON text of `value`; throws `canonical-json-invalid`. */
export function canonicalJson(value: unknown): string {
  const parts: string[] = [];
  write(value, parts, "$", 0, new Set());
  return parts.join("");
}

/** The UTF-8 bytes of {@link canonicalJson}: what gets hashed and signed. */
export function canonicalJsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}

function write(value: unknown, out: string[], path: string, depth: number, open: Set<object>): void {
  switch (typeof value) {
    case "string":
      if (LONE_SURROGATE.test(value)) fail(path, "a string with a lone UTF-16 surrogate has no UTF-8 form");
      out.push(JSON.stringify(value));
      return;
    case "number":
      if (!Number.isFinite(value)) fail(path, `${value} is not a JSON number`);
      // Number#toString is exactly the ES serialization RFC 8785 prescribes; -0 prints "0".
      out.push(Object.is(value, -0) ? "0" : String(value));
      return;
    case "boolean":
      out.push(value ? "true" : "false");
      return;
    case "object":
      break;
    default:
      // undefined, function, symbol, bigint: JSON.stringify would drop or throw; be explicit.
      fail(path, `a ${typeof value} is not a JSON value`);
  }
  if (value === null) {
    out.push("null");
    return;
  }
  if (depth >= CANONICAL_JSON_MAX_DEPTH) fail(path, `nesting deeper than ${CANONICAL_JSON_MAX_DEPTH} levels`);
  if (open.has(value)) fail(path, "a cycle");
  open.add(value);
  if (Array.isArray(value)) {
    out.push("[");
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(",");
      write(value[i], out, `${path}[${i}]`, depth + 1, open);
    }
    out.push("]");
  } else {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      const name = (value as { constructor?: { name?: string } }).constructor?.name ?? "object";
      fail(path, `a ${name} instance is not a plain JSON object`);
    }
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    out.push("{");
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (LONE_SURROGATE.test(key)) fail(`${path}.${key}`, "a key with a lone UTF-16 surrogate");
      if (i > 0) out.push(",");
      out.push(JSON.stringify(key), ":");
      write(record[key], out, `${path}.${key}`, depth + 1, open);
    }
    out.push("}");
  }
  open.delete(value);
}

function fail(path: string, what: string): never {
  throw new CommonsError(
    "canonical-json-invalid",
    `Cannot canonicalize ${path}: ${what}. Pass only null, booleans, finite numbers, strings, arrays and plain objects.`,
  );
}
