/** Minimal dependency-free SVG scatter/line charts for the benchmark reports. */

export interface Series {
  label: string;
  color: string;
  points: { x: number; y: number }[];
  /** Connect the points in order. */
  line?: boolean;
  /** Draw as a dashed horizontal reference line at points[0].y. */
  reference?: boolean;
}

interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  xRange: [number, number];
  yRange: [number, number];
  series: Series[];
}

const W = 460;
const H = 340;
const M = { left: 56, right: 16, top: 30, bottom: 46 };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function ticks([lo, hi]: [number, number], n: number): number[] {
  const step = (hi - lo) / n;
  return Array.from({ length: n + 1 }, (_, i) => lo + i * step);
}

function fmt(v: number): string {
  return Math.abs(v) >= 10 ? v.toFixed(0) : v.toFixed(2);
}

function panel(p: Panel, dx: number): string {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sx = (x: number) =>
    Math.round((dx + M.left + ((x - p.xRange[0]) / (p.xRange[1] - p.xRange[0])) * pw) * 10) / 10;
  const sy = (y: number) =>
    Math.round((M.top + ph - ((y - p.yRange[0]) / (p.yRange[1] - p.yRange[0])) * ph) * 10) / 10;
  const out: string[] = [];
  out.push(`<text x="${dx + W / 2}" y="18" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`);
  out.push(`<rect x="${dx + M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  for (const t of ticks(p.xRange, 5)) {
    out.push(`<line x1="${sx(t)}" y1="${M.top}" x2="${sx(t)}" y2="${M.top + ph}" stroke="#eee"/>`);
    out.push(`<text x="${sx(t)}" y="${M.top + ph + 14}" text-anchor="middle">${fmt(t)}</text>`);
  }
  for (const t of ticks(p.yRange, 5)) {
    out.push(
      `<line x1="${dx + M.left}" y1="${sy(t)}" x2="${dx + M.left + pw}" y2="${sy(t)}" stroke="#eee"/>`,
    );
    out.push(`<text x="${dx + M.left - 4}" y="${sy(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
  }
  out.push(`<text x="${dx + M.left + pw / 2}" y="${H - 8}" text-anchor="middle">${esc(p.xLabel)}</text>`);
  out.push(
    `<text transform="translate(${dx + 14},${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(p.yLabel)}</text>`,
  );
  p.series.forEach((s, i) => {
    if (s.reference) {
      const y = sy(s.points[0].y);
      out.push(
        `<line x1="${dx + M.left}" y1="${y}" x2="${dx + M.left + pw}" y2="${y}" stroke="${s.color}" stroke-dasharray="5,4"/>`,
      );
    } else {
      if (s.line && s.points.length > 1) {
        const d = s.points
          .map((pt, j) => `${j ? 'L' : 'M'}${sx(pt.x).toFixed(1)},${sy(pt.y).toFixed(1)}`)
          .join('');
        out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"/>`);
      }
      for (const pt of s.points) {
        out.push(
          `<circle cx="${sx(pt.x).toFixed(1)}" cy="${sy(pt.y).toFixed(1)}" r="3.5" fill="${s.color}"/>`,
        );
      }
    }
    const ly = M.top + ph - 10 - i * 15;
    out.push(`<rect x="${dx + M.left + pw - 150}" y="${ly - 9}" width="10" height="10" fill="${s.color}"/>`);
    out.push(`<text x="${dx + M.left + pw - 136}" y="${ly}">${esc(s.label)}</text>`);
  });
  return out.join('\n');
}

/** Panels side by side in one SVG document. */
export function svgPanels(panels: Panel[]): string {
  const width = W * panels.length;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${H}" viewBox="0 0 ${width} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${H}" fill="white"/>`,
    ...panels.map((p, i) => panel(p, i * W)),
    '</svg>',
    '',
  ].join('\n');
}
