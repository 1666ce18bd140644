/**
 * Small SVG charts for docs/BENCHMARKS.md: grouped bars and lines, optional log scale.
 * No dependencies; the output is plain SVG text with inline styles.
 */
const PALETTE = ["#d9480f", "#1c7ed6", "#37b24d", "#7048e8", "#f59f00", "#868e96", "#e64980"];
const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function scale(values, log) {
  const v = values.filter((x) => x !== null && x !== undefined && Number.isFinite(x) && (!log || x > 0));
  let lo = log ? Math.min(...v) : 0;
  let hi = Math.max(...v);
  if (!v.length) (lo = log ? 1 : 0), (hi = 1);
  if (log) {
    lo = 10 ** Math.floor(Math.log10(lo));
    hi = 10 ** Math.ceil(Math.log10(hi));
    if (hi === lo) hi = lo * 10;
    const ticks = [];
    for (let t = lo; t <= hi * 1.0001; t *= 10) ticks.push(t);
    return { map: (x) => (Math.log10(Math.max(x, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)), ticks };
  }
  const step = niceStep(hi / 5);
  hi = Math.ceil(hi / step) * step || 1;
  const ticks = [];
  for (let t = 0; t <= hi + step / 2; t += step) ticks.push(t);
  return { map: (x) => x / hi, ticks };
}

function niceStep(raw) {
  const p = 10 ** Math.floor(Math.log10(raw || 1));
  for (const m of [1, 2, 5, 10]) if (raw <= m * p) return m * p;
  return 10 * p;
}

const fmtTick = (t) => (t >= 1000 ? `${t / 1000}k` : t >= 1 ? String(Math.round(t * 100) / 100) : String(t));

function frame({ width, height, title, unit, ticks, map, plot }) {
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`];
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  out.push(`<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`);
  for (const t of ticks) {
    const y = plot.y + plot.h - map(t) * plot.h;
    out.push(`<line x1="${plot.x}" x2="${plot.x + plot.w}" y1="${y}" y2="${y}" stroke="#e9ecef"/>`);
    out.push(`<text x="${plot.x - 6}" y="${y + 4}" text-anchor="end" fill="#495057">${fmtTick(t)}</text>`);
  }
  out.push(`<text transform="translate(14 ${plot.y + plot.h / 2}) rotate(-90)" text-anchor="middle" fill="#495057">${esc(unit)}</text>`);
  return out;
}

function legend(out, names, x, y) {
  names.forEach((n, i) => {
    out.push(`<rect x="${x}" y="${y + i * 16}" width="10" height="10" fill="${PALETTE[i % PALETTE.length]}"/>`);
    out.push(`<text x="${x + 14}" y="${y + i * 16 + 9}">${esc(n)}</text>`);
  });
}

/** groups: x labels; series: [{ name, values: number|null per group }]. */
export function barChart({ title, unit, groups, series, log = false, width = 760, height = 320 }) {
  const plot = { x: 60, y: 32, w: width - 60 - 190, h: height - 32 - 40 };
  const { map, ticks } = scale(series.flatMap((s) => s.values), log);
  const out = frame({ width, height, title, unit, ticks, map, plot });
  const gw = plot.w / groups.length;
  const bw = (gw * 0.8) / series.length;
  groups.forEach((g, gi) => {
    series.forEach((s, si) => {
      const v = s.values[gi];
      const x = plot.x + gi * gw + gw * 0.1 + si * bw;
      if (v === null || v === undefined || !Number.isFinite(v)) {
        out.push(`<text x="${x + bw / 2}" y="${plot.y + plot.h - 4}" text-anchor="middle" font-size="9" fill="#868e96">n/a</text>`);
        return;
      }
      const h = Math.max(1, map(v) * plot.h);
      out.push(`<rect x="${x.toFixed(1)}" y="${(plot.y + plot.h - h).toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${PALETTE[si % PALETTE.length]}"><title>${esc(s.name)} ${esc(g)}: ${v}</title></rect>`);
    });
    out.push(`<text x="${plot.x + gi * gw + gw / 2}" y="${plot.y + plot.h + 16}" text-anchor="middle">${esc(g)}</text>`);
  });
  legend(out, series.map((s) => s.name), plot.x + plot.w + 16, plot.y);
  out.push("</svg>");
  return out.join("\n") + "\n";
}

/** series: [{ name, points: [[x, y]…], dashed? }]; x on a log scale when logX. */
export function lineChart({ title, unit, xLabel, series, logX = false, logY = false, width = 760, height = 320 }) {
  const plot = { x: 60, y: 32, w: width - 60 - 190, h: height - 32 - 44 };
  const ys = scale(series.flatMap((s) => s.points.map((p) => p[1])), logY);
  const xs = scale(series.flatMap((s) => s.points.map((p) => p[0])), logX);
  const out = frame({ width, height, title, unit, ticks: ys.ticks, map: ys.map, plot });
  for (const t of xs.ticks) {
    const x = plot.x + xs.map(t) * plot.w;
    out.push(`<text x="${x}" y="${plot.y + plot.h + 16}" text-anchor="middle" fill="#495057">${fmtTick(t)}</text>`);
  }
  out.push(`<text x="${plot.x + plot.w / 2}" y="${height - 6}" text-anchor="middle" fill="#495057">${esc(xLabel)}</text>`);
  series.forEach((s, si) => {
    const pts = s.points.filter((p) => Number.isFinite(p[1])).map(([x, y]) => `${(plot.x + xs.map(x) * plot.w).toFixed(1)},${(plot.y + plot.h - ys.map(y) * plot.h).toFixed(1)}`);
    const color = PALETTE[si % PALETTE.length];
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ""} points="${pts.join(" ")}"/>`);
    for (const p of pts) out.push(`<circle cx="${p.split(",")[0]}" cy="${p.split(",")[1]}" r="3" fill="${color}"/>`);
  });
  legend(out, series.map((s) => s.name), plot.x + plot.w + 16, plot.y);
  out.push("</svg>");
  return out.join("\n") + "\n";
}
