/** Percentiles and medians over plain number arrays (small helpers, no dependencies). */

export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function summarize(values) {
  const sorted = Float64Array.from(values).sort();
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : null,
  };
}

export function median(values) {
  const v = values.filter((x) => x !== null && x !== undefined && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Median of each numeric field over several result objects of the same shape. */
export function medianOf(results) {
  const out = {};
  const keys = new Set(results.flatMap((r) => Object.keys(r ?? {})));
  for (const key of keys) {
    const values = results.map((r) => r?.[key]);
    if (values.every((v) => typeof v === "number" || v === null || v === undefined)) out[key] = median(values);
    else out[key] = values.find((v) => v !== undefined);
  }
  return out;
}

export function round(x, digits = 2) {
  if (x === null || x === undefined || !Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export const now = () => performance.timeOrigin + performance.now();
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
