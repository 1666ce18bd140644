/**
 * Where an agent's Durable Object is created (issue 12 item 2: "agents running serverless
 * near users"): a Durable Object `locationHint`, chosen once, when the object is first made.
 * From `--near <region>` (sent as the `X-Commons-Near` header or `?near=`) when the person
 * names one, else from where the request came from (`request.cf`: continent, longitude,
 * country). A hint only matters on the request that creates the object; afterwards the
 * platform ignores it, and so does local workerd (`wrangler dev`) always. Pure.
 */
import { CommonsError } from "../errors.js";

/** The platform's location hints (Cloudflare's `DurableObjectLocationHint`). */
export const LOCATION_HINTS = ["wnam", "enam", "sam", "weur", "eeur", "apac", "apac-ne", "apac-se", "oc", "afr", "me"] as const;
export type LocationHint = (typeof LOCATION_HINTS)[number];

export const NEAR_HEADER = "X-Commons-Near";

/** Middle-East countries Cloudflare's `me` region serves (the rest of Asia is `apac`). */
const MIDDLE_EAST = new Set(["AE", "BH", "IL", "IQ", "IR", "JO", "KW", "LB", "OM", "PS", "QA", "SA", "SY", "YE"]);

export function parseLocationHint(text: string): LocationHint {
  const hint = text.trim().toLowerCase();
  if ((LOCATION_HINTS as readonly string[]).includes(hint)) return hint as LocationHint;
  throw new CommonsError("invalid-location-hint", `"${text.slice(0, 40)}" is not a region: --near takes one of ${LOCATION_HINTS.join(", ")}`, { status: 400 });
}

/** The region of a request's origin, from the fields of `request.cf` (undefined when it has none, as locally). */
export function hintFromOrigin(cf: { continent?: unknown; longitude?: unknown; country?: unknown } | undefined): LocationHint | undefined {
  if (cf === undefined) return undefined;
  const longitude = Number(cf.longitude);
  switch (cf.continent) {
    case "NA": return Number.isFinite(longitude) && longitude < -100 ? "wnam" : "enam";
    case "SA": return "sam";
    case "EU": return Number.isFinite(longitude) && longitude > 20 ? "eeur" : "weur";
    case "AS": return MIDDLE_EAST.has(String(cf.country)) ? "me" : "apac";
    case "OC": return "oc";
    case "AF": return "afr";
    default: return undefined; // Antarctica, Tor (T1), unknown: let the platform choose.
  }
}

/** The hint for a request to an agent: the named region first, else the request's origin. Throws on a bad name. */
export function agentLocation(request: Request): LocationHint | undefined {
  const named = request.headers.get(NEAR_HEADER) ?? new URL(request.url).searchParams.get("near");
  if (named !== null) return parseLocationHint(named);
  return hintFromOrigin((request as { cf?: Record<string, unknown> }).cf);
}
