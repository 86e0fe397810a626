// The figures as a console table, as bench/results.md and as the chart bench/results.svg.
import { fixed, summary, verdict } from './stats.js';

/**
 * @typedef {object} Row
 * @property {string} label what is measured
 * @property {number[]} values one sample per round
 * @property {'ratio' | 'M/s' | 'ns' | 'µs' | 'ms' | '%' | 'MiB' | 'size'} unit
 * @property {import('./stats.js').Target} [target] none: a figure for reference
 * @property {string} [a] the median run of the first side of a comparison
 * @property {string} [b] the median run of the second side
 * @property {number[]} [wall] the same comparison in wall-clock time, per round (for reference)
 * @property {string} [derivation] how the figure is made of others
 */

// 'MiB' is a difference (signed); 'size' an amount of memory in MiB.
const DIGITS = { ratio: 3, 'M/s': 2, ns: 0, µs: 1, ms: 1, '%': 2, MiB: 2, size: 1 };

/** One figure in its unit. */
export function format(value, unit) {
  const text = fixed(value, DIGITS[unit], unit === 'MiB');
  return unit === '%' ? `${text}%` : text;
}

/** "median (min–max)". */
export function figure(row) {
  if (row.values.length === 0) return 'no round succeeded';
  const { min, median, max } = summary(row.values);
  return `${format(median, row.unit)} (${format(min, row.unit)}–${format(max, row.unit)})`;
}

export function targetText(row) {
  const { target, unit } = row;
  if (target === undefined) return '';
  const sign = target.op === '>=' ? '≥' : '≤';
  const value = unit === 'MiB' ? `+${target.value} MiB` : unit === '%' ? `${target.value}%` : `${target.value}`;
  return `${sign} ${value}${unit === 'M/s' ? ' M/s' : ''}`;
}

export const verdictOf = (row) => verdict(row.values, row.target);

function details(row) {
  const parts = [];
  if (row.a !== undefined) parts.push(row.b === undefined ? row.a : `A: ${row.a}; B: ${row.b}`);
  if (row.wall?.length) {
    const { min, median, max } = summary(row.wall);
    parts.push(`wall clock ${fixed(median, 3)} (${fixed(min, 3)}–${fixed(max, 3)})`);
  }
  if (row.derivation !== undefined) parts.push(row.derivation);
  return parts.join('; ');
}

/** The rows as an aligned console table, then each row's details on lines of their own. */
export function consoleTable(rows) {
  const width = Math.max(...rows.map((row) => row.label.length));
  const lines = [`${'measurement'.padEnd(width)}  ${'median (min–max)'.padEnd(28)} ${'target'.padEnd(12)} verdict`];
  for (const row of rows) {
    lines.push(`${row.label.padEnd(width)}  ${figure(row).padEnd(28)} ${targetText(row).padEnd(12)} ${verdictOf(row)}`);
    const more = details(row);
    if (more) lines.push(`${''.padEnd(width)}    ${more}`);
  }
  return lines.join('\n');
}

export function markdownTable(rows) {
  return [
    '| measurement | median (min–max) | target | verdict | details |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((row) => {
      const verdictText = verdictOf(row);
      const shown = verdictText === 'missed' || verdictText === 'not resolved' ? `**${verdictText}**` : verdictText;
      return `| ${row.label} | ${figure(row)} | ${targetText(row)} | ${shown} | ${details(row)} |`;
    }),
  ].join('\n');
}

const COLORS = { met: '#2e7d32', missed: '#c62828', 'not resolved': '#ef8f00', reference: '#9e9e9e' };

/** A bar per ratio at its median, its rounds' range as a whisker, its target as a black tick. */
export function chart(rows) {
  const bars = rows.filter((row) => row.unit === 'ratio' && row.values.length > 0);
  const width = 860;
  const left = 520;
  const plot = width - left - 60;
  const rowHeight = 30;
  const top = 40;
  const height = top + bars.length * rowHeight + 40;
  const max = 1.2;
  const x = (value) => Math.round((left + (Math.max(0, Math.min(value, max)) / max) * plot) * 10) / 10;
  const escape = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    '<text x="10" y="20" font-weight="bold">Ratios: median (bar), min–max of the rounds (whisker), target (black tick). ' +
      'Green met, red missed, amber not resolved, grey reference</text>',
  ];
  for (const tick of [0, 0.25, 0.5, 0.75, 1, 1.2]) {
    parts.push(`<line x1="${x(tick)}" y1="${top - 6}" x2="${x(tick)}" y2="${height - 34}" stroke="#ddd"/>`);
    parts.push(`<text x="${x(tick)}" y="${height - 20}" text-anchor="middle" fill="#555">${tick.toFixed(2)}</text>`);
  }
  bars.forEach((row, i) => {
    const y = top + i * rowHeight;
    const { min, median, max: highest } = summary(row.values);
    parts.push(`<text x="${left - 8}" y="${y + 15}" text-anchor="end">${escape(row.label)}</text>`);
    parts.push(
      `<rect x="${left}" y="${y + 4}" width="${x(median) - left}" height="16" fill="${COLORS[verdictOf(row)]}"/>`,
    );
    parts.push(`<line x1="${x(min)}" y1="${y + 12}" x2="${x(highest)}" y2="${y + 12}" stroke="#333"/>`);
    parts.push(`<text x="${Math.max(x(highest), x(median)) + 4}" y="${y + 16}">${median.toFixed(3)}</text>`);
    if (row.target !== undefined) {
      const tx = x(row.target.value);
      parts.push(`<line x1="${tx}" y1="${y + 1}" x2="${tx}" y2="${y + 23}" stroke="#000" stroke-width="2"/>`);
    }
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}
