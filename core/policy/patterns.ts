/**
 * The pattern language of policies: a small, total, linear-time matcher over a tool call's
 * arguments. Owners write patterns as space data (`policy.set`), agents choose the
 * arguments, so the language has no regexes (no ReDoS), no code, and no way to reach
 * anything but the call's own plain-object fields.
 *
 *   pattern = term *( "&" term )              ; every term must match
 *   term    = path "=" glob                   ; spaces around path, "=" and "&" are ignored
 *   path    = name *( "." name )              ; name = [A-Za-z_][A-Za-z0-9_-]{0,63}
 *   glob    = text in which "*" matches any run of characters (also none);
 *             "\*" is a literal star, "\\" a literal backslash, "\&" a literal "&"
 *
 * A term matches when the field at `path` (own properties of plain objects only) is a
 * string, number or boolean whose string form matches the glob, or an array with at least
 * one such element (so `domains=After-Image` matches `["After-Image", "R&D"]`). A missing
 * field, null or an object never matches: a pattern only ever allows what it names.
 * Matching is case-sensitive.
 */

export interface Term {
  path: string[];
  /** The glob split at its unescaped stars: literal pieces, in order. */
  pieces: string[];
}

export interface Pattern {
  source: string;
  terms: Term[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
/** Names that would walk into prototypes if a caller's object were not plain JSON. */
const FORBIDDEN_NAMES = new Set(["__proto__", "prototype", "constructor"]);
export const PATTERN_MAX_LENGTH = 500;

/** Parses a pattern; null when it is not in the grammar (so policies refuse it at the boundary). */
export function parsePattern(source: string): Pattern | null {
  if (source.length === 0 || source.length > PATTERN_MAX_LENGTH) return null;
  const terms: Term[] = [];
  for (const raw of splitUnescaped(source, "&")) {
    const eq = raw.indexOf("=");
    if (eq < 0) return null;
    const path = raw.slice(0, eq).trim().split(".");
    if (!path.every((name) => NAME.test(name) && !FORBIDDEN_NAMES.has(name))) return null;
    const pieces = globPieces(raw.slice(eq + 1).trim());
    if (pieces === null) return null;
    terms.push({ path, pieces });
  }
  return terms.length === 0 ? null : { source, terms };
}

export function isValidPattern(source: string): boolean {
  return parsePattern(source) !== null;
}

/** True when every term of `pattern` matches `args`. */
export function matchesPattern(pattern: Pattern, args: unknown): boolean {
  return pattern.terms.every((term) => matchesTerm(term, args));
}

/** Parses and matches in one go; an unparsable pattern matches nothing. */
export function matches(source: string, args: unknown): boolean {
  const pattern = parsePattern(source);
  return pattern !== null && matchesPattern(pattern, args);
}

function matchesTerm(term: Term, args: unknown): boolean {
  let value: unknown = args;
  for (const name of term.path) {
    if (!isPlainObject(value) || !Object.hasOwn(value, name)) return false;
    value = value[name];
  }
  const candidates = Array.isArray(value) ? value : [value];
  return candidates.some((candidate) => {
    if (typeof candidate !== "string" && typeof candidate !== "number" && typeof candidate !== "boolean") return false;
    return globMatch(term.pieces, String(candidate));
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Star-only glob matching: the first piece anchors the start, the last the end, the middle
 * ones are found leftmost in order. For globs whose only wildcard is "*", leftmost-greedy
 * placement of the middle pieces is exact, and the cost is linear in the text per piece.
 */
export function globMatch(pieces: readonly string[], text: string): boolean {
  if (pieces.length === 1) return text === pieces[0];
  const first = pieces[0]!;
  const last = pieces[pieces.length - 1]!;
  if (text.length < first.length + last.length || !text.startsWith(first) || !text.endsWith(last)) return false;
  let at = first.length;
  const end = text.length - last.length;
  for (let i = 1; i < pieces.length - 1; i++) {
    const found = text.indexOf(pieces[i]!, at);
    if (found < 0 || found + pieces[i]!.length > end) return false;
    at = found + pieces[i]!.length;
  }
  return true;
}

/** Splits at unescaped `glob` stars; null on a dangling or unknown escape. */
function globPieces(glob: string): string[] | null {
  const pieces: string[] = [];
  let current = "";
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char === "\\") {
      const next = glob[i + 1];
      if (next !== "*" && next !== "\\" && next !== "&") return null;
      current += next;
      i++;
    } else if (char === "*") {
      pieces.push(current);
      current = "";
    } else current += char;
  }
  pieces.push(current);
  return pieces;
}

/** Splits at `separator` not preceded by a backslash escape (escapes are kept for the glob). */
function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = "";
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char === "\\" && i + 1 < text.length) {
      current += char + text[i + 1]!;
      i++;
    } else if (char === separator) {
      parts.push(current);
      current = "";
    } else current += char;
  }
  parts.push(current);
  return parts;
}
